//! Values as text, for people: keys and strings quoted as `redis-cli`
//! prints them, whole values (`hash {"f": "v"}`), and the per-database
//! listing behind [`MockRedis::dump`](crate::MockRedis::dump) and
//! [`DbHandle::dump`](crate::DbHandle::dump). The state API's assertion
//! failures describe values with the same functions.

use std::fmt::Write as _;

use crate::engine::keyspace::Db;
use crate::engine::types::Value;
use crate::protocol::format_double;

/// `b` in double quotes, escaped as `redis-cli` prints a bulk string.
pub(crate) fn quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// A value's contents: `"v"`, `["a", "b"]` (a list, head first), `{"a",
/// "b"}` (a set, sorted as quoted), `{"f": "v"}` (a hash, sorted as quoted), `["m" 1.5]`
/// (a sorted set, by score), `[1-1 {"f": "v"}]` (a stream, oldest first).
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::List(l) => format!("[{}]", l.iter().map(quote).collect::<Vec<_>>().join(", ")),
        Value::Set(s) => {
            let mut m: Vec<_> = s.iter().map(quote).collect();
            m.sort();
            format!("{{{}}}", m.join(", "))
        }
        Value::Hash(h) => {
            let mut m: Vec<_> = h
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
                .collect();
            m.sort();
            format!("{{{}}}", m.join(", "))
        }
        Value::ZSet(z) => format!(
            "[{}]",
            z.iter()
                .map(|(m, s)| format!("{} {}", quote(m), format_double(s)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Stream(s) => format!(
            "[{}]",
            s.range(
                Default::default(),
                crate::engine::types::stream::StreamId::MAX,
                0,
                false
            )
            .iter()
            .map(|(id, f)| format!(
                "{id} {{{}}}",
                f.chunks(2)
                    .map(|p| format!("{}: {}", quote(&p[0]), quote(&p[1])))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join(", ")
        ),
    }
}

/// A value with its type: `string "v"`, `hash {"f": "v"}`.
pub(crate) fn describe_typed(v: &Value) -> String {
    format!("{} {}", v.type_name(), describe(v))
}

/// One line per live key of `db`, sorted, each `  "key" type value`, with
/// ` (ttl Nms)` when it has a deadline; empty for an empty database.
pub(crate) fn dump_db(db: &Db, now: i64) -> String {
    let mut entries: Vec<_> = db
        .iter()
        .filter(|(_, entry)| entry.expires_at.is_none_or(|t| now <= t))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (key, entry) in entries {
        let _ = write!(out, "  {} {}", quote(key), describe_typed(entry.value));
        if let Some(t) = entry.expires_at {
            let _ = write!(out, " (ttl {}ms)", t - now);
        }
        out.push('\n');
    }
    out
}
