//! DEBUG, when `enable-debug-command` allows it (the dispatcher checks):
//! the subcommands tools and test suites use. OBJECT, SLEEP, POPULATE,
//! SET-ACTIVE-EXPIRE, CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD and
//! LISTPACK answer as redis-server 7.0.15 does; STRINGMATCH-LEN and JMAP
//! are unknown to 7.0.15 and answer so; the others Redis has (crash
//! helpers, RELOAD, DIGEST, ...) are not modelled and answer the same
//! unknown-subcommand error.

use std::time::Duration;

use bytes::Bytes;

use super::memory::quicklist_nodes;
use crate::engine::Ctx;
use crate::engine::command::CmdResult;
use crate::engine::commands::keys::encoding_name;
use crate::engine::config::memtoull;
use crate::engine::formats::rdb;
use crate::engine::types::Value;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{NO_SUCH_KEY, err, subcommand_syntax_error};
use crate::engine::util::help::help_reply;
use crate::protocol::Reply;

/// DEBUG POPULATE's bounds (mock-redis's, not Redis's, which tries until
/// memory runs out): at most this many keys per call, values of at most
/// `proto-max-bulk-len` bytes, 1 GB of values in all.
const POPULATE_MAX_KEYS: i64 = 1 << 24;
const POPULATE_MAX_BYTES: i64 = 1 << 30;

pub(crate) fn debug(ctx: &mut Ctx<'_>) -> CmdResult {
    let sub = ctx.arg(1);
    let argc = ctx.args.len();
    if is(sub, "help") && argc == 2 {
        return Ok(help());
    }
    if is(sub, "sleep") && argc == 3 {
        // Redis blocks the whole server for the duration; so does this lock.
        let secs = args::parse_strtod(ctx.arg(2)).unwrap_or(0.0);
        if secs > 0.0 && secs.is_finite() {
            std::thread::sleep(Duration::from_secs_f64(secs.min(3600.0)));
        }
        return Ok(Reply::ok());
    }
    if is(sub, "object") && argc == 3 {
        return object(ctx);
    }
    if is(sub, "populate") && (3..=5).contains(&argc) {
        return populate(ctx);
    }
    if is(sub, "set-active-expire") && argc == 3 {
        // Redis's `atoi`: anything not a non-zero number disables it.
        let on = std::str::from_utf8(ctx.arg(2))
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .is_some_and(|n| n != 0);
        ctx.engine.diagnostics.active_expire_disabled = !on;
        return Ok(Reply::ok());
    }
    if is(sub, "change-repl-id") && argc == 2 {
        return Ok(Reply::ok());
    }
    if is(sub, "quicklist-packed-threshold") && argc == 3 {
        let size = std::str::from_utf8(ctx.arg(2)).ok().and_then(memtoull);
        return match size {
            Some(n) if n <= 4 << 30 => Ok(Reply::ok()),
            _ => Err(err(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            )),
        };
    }
    if is(sub, "listpack") && argc == 3 {
        let key = ctx.arg(2);
        let listpack = match ctx.db().value(key) {
            None => return Err(err(NO_SUCH_KEY)),
            Some(Value::Hash(h)) => h.is_listpack(),
            Some(Value::ZSet(z)) => z.encoding() == "listpack",
            Some(_) => false,
        };
        return if listpack {
            Ok(Reply::simple("Listpack structure printed on stdout"))
        } else {
            Err(err("ERR Not a listpack encoded object."))
        };
    }
    // A handler that panics on purpose, to test that a panic leaves the
    // client and the engine consistent (`Engine::execute`). Test builds only.
    #[cfg(any(test, feature = "fuzzing"))]
    if is(sub, "panic-for-test") {
        panic!("DEBUG PANIC-FOR-TEST");
    }
    Err(subcommand_syntax_error(sub, "debug"))
}

fn object(ctx: &mut Ctx<'_>) -> CmdResult {
    let key = ctx.arg(2);
    let Some(entry) = ctx.db().entry(key).map(|e| e.cloned()) else {
        return Err(err(NO_SUCH_KEY));
    };
    let encoding = encoding_name(ctx, &entry.value, entry.str_encoding);
    let serialized = rdb::serialize(&entry.value).len();
    let idle = (ctx.engine.now_ms() - entry.accessed_ms).max(0) / 1000;
    let lru = (entry.accessed_ms / 1000) & ((1 << 24) - 1);
    let mut line = format!(
        "Value at:0x0 refcount:1 encoding:{encoding} serializedlength:{serialized} lru:{lru} lru_seconds_idle:{idle}"
    );
    if let Value::List(list) = &entry.value {
        let (nodes, _) = quicklist_nodes(list, ctx.engine, usize::MAX);
        let fill = ctx
            .engine
            .config_int("list-max-listpack-size")
            .unwrap_or(-2);
        line.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{fill} ql_compressed:0 ql_uncompressed_size:{}",
            nodes.len(),
            list.len() as f64 / nodes.len().max(1) as f64,
            nodes.iter().sum::<usize>()
        ));
    }
    Ok(Reply::simple(line))
}

/// `DEBUG POPULATE count [prefix] [size]`: string keys `prefix:N` (default
/// `key`) holding `value:N`, cut or zero-padded to `size`; existing keys
/// are left alone.
fn populate(ctx: &mut Ctx<'_>) -> CmdResult {
    const POSITIVE: &str = "ERR value is out of range, must be positive";
    let count = args::int_or(ctx.arg(2), POSITIVE)?;
    if count < 0 {
        return Err(err(POSITIVE));
    }
    let size = match ctx.args.get(4) {
        Some(arg) => {
            let n = args::int_or(arg, POSITIVE)?;
            if n < 0 {
                return Err(err(POSITIVE));
            }
            Some(n)
        }
        None => None,
    };
    let max_bulk = ctx.engine.limits.proto_max_bulk;
    let total = count.saturating_mul(size.unwrap_or(0).max(16));
    if count > POPULATE_MAX_KEYS || size.is_some_and(|n| n > max_bulk) || total > POPULATE_MAX_BYTES
    {
        return Err(err(
            "ERR mock-redis: DEBUG POPULATE is bounded to 16M keys and 1 GB of values",
        ));
    }
    let prefix = ctx
        .args
        .get(3)
        .cloned()
        .unwrap_or(Bytes::from_static(b"key"));
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{j}").as_bytes());
        // Redis formats the name into a 128-byte buffer.
        key.truncate(127);
        let key = Bytes::from(key);
        if ctx.db().get(&key).is_some() {
            continue;
        }
        let text = format!("value:{j}").into_bytes();
        let value = match size {
            None | Some(0) => text,
            Some(n) => {
                let mut v = vec![0u8; n as usize];
                let k = v.len().min(text.len());
                v[..k].copy_from_slice(&text[..k]);
                v
            }
        };
        ctx.db().insert(&key, Value::String(value.into()));
    }
    Ok(Reply::ok())
}

fn help() -> Reply {
    help_reply(
        "DEBUG",
        &[
            "CHANGE-REPL-ID",
            "    Change the replication IDs of the instance.",
            "    Dangerous: should be used only for testing the replication subsystem.",
            "OBJECT <key>",
            "    Show low level info about `key` and associated value.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>. If <prefix> is specified then",
            "    it is used instead of the 'key' prefix. These are not propagated to",
            "    replicas. Cluster slots are not respected so keys not belonging to the",
            "    current node can be created in cluster mode.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Sets the threshold for elements to be inserted as plain vs packed nodes",
            "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "LISTPACK <key>",
            "    Show low level info about the listpack encoding of <key>.",
        ],
    )
}
