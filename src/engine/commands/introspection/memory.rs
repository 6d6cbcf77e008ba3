//! MEMORY (USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP).
//!
//! MEMORY USAGE models what redis-server 7.0 with jemalloc reports
//! (`objectComputeSize` plus the key's sds and its dict entry): the
//! allocator's size classes, the object header, sds headers, listpack
//! element sizes, quicklist nodes of `list-max-listpack-size` (8 KB),
//! intsets, dict tables of power-of-two slots, skiplist nodes and stream
//! radix trees, sampled as Redis samples (`SAMPLES`, default 5, 0 for
//! all). Strings and listpack, intset and quicklist encodings come out as
//! Redis's figures; hash tables, skiplists and streams within a few
//! percent, so `redis-cli --memkeys` and `--bigkeys` rank keys as they
//! would on Redis.

use crate::engine::types::list::List;

use bytes::Bytes;

use crate::engine::command::{CmdResult, CommandSpec, flags::*};
use crate::engine::keyspace::EntryRef;
use crate::engine::types::stream::{Stream, lp_str_size};
use crate::engine::types::{StrEncoding, Value};
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::syntax_error;
use crate::engine::util::help::help_reply;
use crate::engine::{Ctx, DATABASES, Engine};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[CommandSpec::container("memory", SUBCOMMANDS)];

const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("usage", -3, memory_usage)
        .flags(READONLY)
        .keys(2, 2, 1, &["RO"]),
    CommandSpec::new("stats", 2, memory_stats),
    CommandSpec::new("doctor", 2, memory_doctor),
    CommandSpec::new("malloc-stats", 2, memory_malloc_stats),
    CommandSpec::new("purge", 2, memory_purge),
    CommandSpec::new("help", 2, memory_help).flags(LOADING | STALE),
];

/// Redis's `OBJ_COMPUTE_SIZE_DEF_SAMPLES`.
const DEFAULT_SAMPLES: usize = 5;
/// `sizeof(robj)`, `sizeof(dictEntry)`, `sizeof(dict)` on 64-bit Linux.
const ROBJ: usize = 16;
const DICT_ENTRY: usize = 24;
const DICT: usize = 56;

/// jemalloc's size class for an allocation of `n` bytes (8, 16, 32, 48,
/// ... 128, then four classes per doubling).
pub(crate) fn jemalloc_size(n: usize) -> usize {
    if n <= 8 {
        8
    } else if n <= 128 {
        n.div_ceil(16) * 16
    } else {
        let lg = usize::BITS - 1 - (n - 1).leading_zeros();
        let spacing = 1usize << (lg - 2);
        n.div_ceil(spacing) * spacing
    }
}

/// The allocation of an sds string of `len` bytes made by `sdsnewlen`
/// (header by length class, the bytes, the terminator).
fn sds_size(len: usize) -> usize {
    let header = match len {
        0..32 => 1,
        32..256 => 3,
        256..65536 => 5,
        _ => 9,
    };
    jemalloc_size(header + len + 1)
}

/// A dict's bucket array: power-of-two slots (at least 4) for `n` entries.
fn dict_table(n: usize) -> usize {
    8 * n.max(4).next_power_of_two()
}

/// A listpack's allocation holding the given elements (6-byte header,
/// the elements, the end byte).
fn listpack_size<'a>(items: impl Iterator<Item = &'a [u8]>) -> usize {
    jemalloc_size(listpack_bytes(items))
}

fn listpack_bytes<'a>(items: impl Iterator<Item = &'a [u8]>) -> usize {
    7 + items.map(lp_str_size).sum::<usize>()
}

/// An average over the first `samples` elements, scaled to all `total`
/// (Redis's sampling in `objectComputeSize`).
fn sampled(sizes: impl Iterator<Item = usize>, samples: usize, total: usize) -> usize {
    let (mut sum, mut n) = (0usize, 0usize);
    for size in sizes.take(samples) {
        sum += size;
        n += 1;
    }
    if n == 0 {
        return 0;
    }
    (sum as f64 / n as f64 * total as f64) as usize
}

/// The bytes Redis's `MEMORY USAGE` reports for a key and its value.
pub(crate) fn key_usage(key: &[u8], entry: EntryRef<'_>, samples: usize, engine: &Engine) -> usize {
    value_usage(entry.value, entry.str_encoding, samples, engine) + sds_size(key.len()) + DICT_ENTRY
}

fn value_usage(value: &Value, encoding: StrEncoding, samples: usize, engine: &Engine) -> usize {
    match value {
        Value::String(s) => match encoding.name(s) {
            "int" => ROBJ,
            "embstr" => jemalloc_size(ROBJ + 3 + s.len() + 1),
            _ => ROBJ + sds_size(s.len()),
        },
        Value::List(list) => ROBJ + 40 + quicklist_usage(list, samples, engine),
        Value::Hash(hash) if hash.is_listpack() => {
            ROBJ + listpack_size(hash.iter().flat_map(|(f, v)| [f, v]))
        }
        Value::Hash(hash) => {
            ROBJ + DICT
                + dict_table(hash.len())
                + sampled(
                    hash.iter()
                        .map(|(f, v)| sds_size(f.len()) + sds_size(v.len()) + DICT_ENTRY),
                    samples,
                    hash.len(),
                )
        }
        Value::Set(set) => {
            let max = engine.config_int("set-max-intset-entries").unwrap_or(512) as usize;
            if crate::engine::types::set::is_intset(set, max) {
                let width = set
                    .iter()
                    .filter_map(crate::protocol::string2ll)
                    .map(|v| match v {
                        -32768..=32767 => 2,
                        -2147483648..=2147483647 => 4,
                        _ => 8,
                    })
                    .max()
                    .unwrap_or(2);
                ROBJ + jemalloc_size(8 + width * set.len())
            } else {
                ROBJ + DICT
                    + dict_table(set.len())
                    + sampled(
                        set.iter().map(|m| DICT_ENTRY + sds_size(m.len())),
                        samples,
                        set.len(),
                    )
            }
        }
        Value::ZSet(zset) if zset.encoding() == "listpack" => {
            let scores: Vec<String> = zset
                .iter()
                .map(|(_, s)| crate::protocol::format_double(s))
                .collect();
            let members = zset.iter().map(|(m, _)| m);
            let bytes = 7 + members
                .zip(&scores)
                .map(|(m, s)| lp_str_size(m) + lp_str_size(s.as_bytes()))
                .sum::<usize>();
            ROBJ + jemalloc_size(bytes)
        }
        Value::ZSet(zset) => {
            // zset, zskiplist, dict, the slots and the 32-level header node.
            ROBJ + 16
                + 32
                + DICT
                + dict_table(zset.len())
                + jemalloc_size(32 + 32 * 16)
                + sampled(
                    zset.iter().enumerate().map(|(rank, (m, _))| {
                        sds_size(m.len())
                            + DICT_ENTRY
                            + jemalloc_size(32 + 16 * skiplist_level(rank))
                    }),
                    samples,
                    zset.len(),
                )
        }
        Value::Stream(stream) => {
            // A node's listpack is allocated at `stream-node-max-bytes`
            // (at most 4 KB) and grows to fit.
            let max = engine.config_int("stream-node-max-bytes").unwrap_or(4096);
            let prealloc = if max > 0 {
                max.min(4096) as usize
            } else {
                4096
            };
            ROBJ + stream_usage(stream, samples, prealloc)
        }
    }
}

/// The listpack bytes of the first `limit` nodes of a quicklist holding
/// `list`, packed as pushes pack them under `list-max-listpack-size`
/// (Redis's `_quicklistNodeAllowInsert`), and the elements they hold.
pub(crate) fn quicklist_nodes(list: &List, engine: &Engine, limit: usize) -> (Vec<usize>, usize) {
    let fill = engine.config_int("list-max-listpack-size").unwrap_or(-2);
    let (max_bytes, max_count) = if fill < 0 {
        (4096usize << (-fill - 1).clamp(0, 4), usize::MAX)
    } else {
        (8192, fill.max(1) as usize)
    };
    let mut nodes = Vec::new();
    let (mut bytes, mut count, mut seen) = (7usize, 0usize, 0usize);
    for item in list.iter() {
        if count > 0 && (bytes + item.len() + 8 > max_bytes || count + 1 > max_count) {
            nodes.push(bytes);
            if nodes.len() == limit {
                return (nodes, seen);
            }
            (bytes, count) = (7, 0);
        }
        bytes += lp_str_size(item);
        count += 1;
        seen += 1;
    }
    nodes.push(bytes);
    (nodes, seen)
}

/// A quicklist's nodes: `sizeof(quicklistNode)` (40) and its listpack;
/// the first `samples` nodes measured, their number estimated from the
/// elements they hold when the list is longer (Redis knows it).
fn quicklist_usage(list: &List, samples: usize, engine: &Engine) -> usize {
    let (nodes, seen) = quicklist_nodes(list, engine, samples.max(1));
    let total = if seen == list.len() {
        nodes.len()
    } else {
        (list.len() * nodes.len()).div_ceil(seen.max(1))
    };
    sampled(
        nodes.into_iter().map(|b| 40 + jemalloc_size(b)),
        samples,
        total,
    )
}

/// A skiplist node's level, distributed as Redis's `zslRandomLevel` (a
/// quarter of the nodes one level higher) but fixed by rank, so sizes
/// are reproducible.
fn skiplist_level(rank: usize) -> usize {
    let n = rank + 1;
    1 + (n.trailing_zeros() / 2) as usize
}

/// `sizeof(stream)`, the radix tree of nodes (Redis's
/// `streamRadixTreeMemoryUsage`), the listpacks' allocations (sampled,
/// the last one counted exactly) and the consumer groups' PELs.
fn stream_usage(stream: &Stream, samples: usize, prealloc: usize) -> usize {
    fn rax(elements: usize) -> usize {
        // Nodes of a radix tree of 16-byte IDs: a compressed node and a
        // leaf for the first key, about two more per later key (splits),
        // as measured on redis-server.
        let nodes = match elements {
            0 => 1,
            n => 2 * n + (n - 1) / 3,
        };
        elements * 16 + nodes * 4 + nodes * 8 * 30
    }
    let nodes: Vec<usize> = stream
        .nodes()
        .map(|(_, n)| jemalloc_size((n.lp_bytes() as usize).max(prealloc)))
        .collect();
    let mut size = 80 + rax(nodes.len());
    if nodes.len() <= samples {
        size += nodes.iter().sum::<usize>();
    } else {
        let avg = nodes.iter().take(samples).sum::<usize>() / samples.max(1);
        size += avg * (nodes.len() - 1) + nodes.last().copied().unwrap_or(0);
    }
    for group in stream.groups.values() {
        size += 40 + rax(group.pel.len()) + 24 * group.pel.len();
        for (name, consumer) in &group.consumers {
            size += 24 + sds_size(name.len()) + rax(consumer.pel.len()) + 8 * consumer.pel.len();
        }
    }
    size
}

fn memory_usage(ctx: &mut Ctx<'_>) -> CmdResult {
    let mut samples = DEFAULT_SAMPLES;
    let mut j = 3;
    while j < ctx.args.len() {
        if is(ctx.arg(j), "samples") && j + 1 < ctx.args.len() {
            let n = args::int(ctx.arg(j + 1))?;
            if n < 0 {
                return Err(syntax_error());
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    let key = ctx.arg(2);
    let db = ctx.client.db;
    let engine = &mut *ctx.engine;
    if engine.dbs[db].entry(key).is_none() {
        return Ok(Reply::Nil);
    }
    let engine = &*engine;
    let Some(entry) = engine.dbs[db].stored(key) else {
        return Ok(Reply::Nil);
    };
    Ok(Reply::int(key_usage(key, entry, samples, engine) as i64))
}

/// Keys per database whose MEMORY USAGE `MEMORY STATS` averages (and
/// scales to the database's size), so its cost stays bounded.
const STATS_SAMPLE_KEYS: usize = 1024;

/// What the mock's dataset would take on redis-server: the keys' MEMORY
/// USAGE (5 samples; up to [`STATS_SAMPLE_KEYS`] keys a database, scaled),
/// the key count, and each non-empty database's dict overheads.
fn dataset(engine: &Engine) -> (usize, usize, Vec<(usize, usize, usize)>) {
    let (mut bytes, mut keys, mut dbs) = (0, 0, Vec::new());
    for (i, db) in engine.dbs.iter().enumerate().take(DATABASES) {
        if db.is_empty() {
            continue;
        }
        bytes += sampled(
            db.iter()
                .map(|(key, entry)| key_usage(key, entry, DEFAULT_SAMPLES, engine)),
            STATS_SAMPLE_KEYS,
            db.len(),
        );
        keys += db.len();
        dbs.push((
            i,
            dict_table(db.len()) + db.len() * DICT_ENTRY,
            db.expires() * DICT_ENTRY,
        ));
    }
    (bytes, keys, dbs)
}

/// Redis's `startup.allocated` on 7.0.15 (jemalloc, no modules).
const STARTUP: usize = 876_088;

fn memory_stats(ctx: &mut Ctx<'_>) -> CmdResult {
    let engine = &*ctx.engine;
    let (data, keys, dbs) = dataset(engine);
    let clients = engine.clients.len() * 17_160 + 17_160;
    let overhead_dbs: usize = dbs.iter().map(|(_, main, exp)| main + exp).sum();
    let overhead = STARTUP + clients + overhead_dbs + 200;
    let total = overhead + data;
    let int = |n: usize| Reply::int(n as i64);
    let mut fields = vec![
        ("peak.allocated", int(total)),
        ("total.allocated", int(total)),
        ("startup.allocated", int(STARTUP)),
        ("replication.backlog", int(0)),
        ("clients.slaves", int(0)),
        ("clients.normal", int(clients)),
        ("cluster.links", int(0)),
        ("aof.buffer", int(0)),
        ("lua.caches", int(0)),
        ("functions.caches", int(200)),
    ];
    let mut out: Vec<(Reply, Reply)> = fields.drain(..).map(|(k, v)| (Reply::bulk(k), v)).collect();
    for (i, main, expires) in dbs {
        out.push((
            Reply::bulk(format!("db.{i}")),
            Reply::map([
                (Reply::bulk("overhead.hashtable.main"), int(main)),
                (Reply::bulk("overhead.hashtable.expires"), int(expires)),
                (Reply::bulk("overhead.hashtable.slot-to-keys"), int(0)),
            ]),
        ));
    }
    let net = total.saturating_sub(STARTUP);
    let pct = |a: usize, b: usize| {
        Reply::Double(if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        })
    };
    let rest = [
        ("overhead.total", int(overhead)),
        ("keys.count", int(keys)),
        (
            "keys.bytes-per-key",
            int(net.checked_div(keys).unwrap_or(0)),
        ),
        ("dataset.bytes", int(data)),
        ("dataset.percentage", pct(data, net)),
        ("peak.percentage", pct(total, total)),
        ("allocator.allocated", int(total)),
        ("allocator.active", int(total)),
        ("allocator.resident", int(total)),
        ("allocator-fragmentation.ratio", Reply::Double(1.0)),
        ("allocator-fragmentation.bytes", int(0)),
        ("allocator-rss.ratio", Reply::Double(1.0)),
        ("allocator-rss.bytes", int(0)),
        ("rss-overhead.ratio", Reply::Double(1.0)),
        ("rss-overhead.bytes", int(0)),
        ("fragmentation", Reply::Double(1.0)),
        ("fragmentation.bytes", int(0)),
    ];
    out.extend(rest.into_iter().map(|(k, v)| (Reply::bulk(k), v)));
    Ok(Reply::Map(out))
}

fn verbatim(text: impl Into<Bytes>) -> Reply {
    Reply::Verbatim {
        format: *b"txt",
        text: text.into(),
    }
}

/// Redis's report when it has too little data to judge (under 5 MB),
/// the case of every test dataset; past that, its all-clear text.
fn memory_doctor(ctx: &mut Ctx<'_>) -> CmdResult {
    let (data, _, _) = dataset(ctx.engine);
    let text = if data + STARTUP < 5 << 20 {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
    } else {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    };
    Ok(verbatim(text))
}

/// What redis-server built without jemalloc answers: mock-redis has no
/// allocator statistics to show.
fn memory_malloc_stats(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(verbatim("Stats not supported for the current allocator"))
}

fn memory_purge(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(Reply::ok())
}

fn memory_help(_ctx: &mut Ctx<'_>) -> CmdResult {
    Ok(help_reply(
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jemalloc_classes() {
        let classes: Vec<usize> = [1, 8, 9, 17, 100, 128, 129, 161, 257, 1025, 5000]
            .iter()
            .map(|&n| jemalloc_size(n))
            .collect();
        assert_eq!(classes, [8, 8, 16, 32, 112, 128, 160, 192, 320, 1280, 5120]);
        assert_eq!(sds_size(1), 8);
        assert_eq!(sds_size(100), 112);
    }
}
