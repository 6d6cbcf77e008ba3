//! SORT and SORT_RO: sorting a list, set or sorted set, numerically or by
//! text, by its elements or by other keys (`BY`), fetching other keys
//! (`GET`), and storing the result (`STORE`).

use bytes::Bytes;

use crate::engine::Ctx;
use crate::engine::command::{
    BeginSearch, CmdResult, CommandSpec, FindKeys, KeySpecDef, acl, flags::*,
};
use crate::engine::keyspace::{Db, events};
use crate::engine::types::Value;
use crate::engine::types::list::List;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{err, syntax_error, wrongtype};
use crate::protocol::Reply;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sort", -2, sort)
        .flags(WRITE | DENYOOM | MOVABLEKEYS)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys(1, 1, 1, &["RO", "access"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: &["RO", "access"], begin: BeginSearch::Unknown, find: FindKeys::Unknown },
            KeySpecDef { notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", flags: &["OW", "update"], begin: BeginSearch::Unknown, find: FindKeys::Unknown },
        ])
        .getkeys(sort_keys)
        .doc("generic", "1.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set"),
    CommandSpec::new("sort_ro", -2, sort_ro)
        .flags(READONLY | MOVABLEKEYS)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys(1, 1, 1, &["RO", "access"])
        .key_specs(&[
            KeySpecDef { notes: "", flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } },
            KeySpecDef { notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: &["RO", "access"], begin: BeginSearch::Unknown, find: FindKeys::Unknown },
        ])
        .doc("generic", "7.0.0", "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", "Sort the elements in a list, set or sorted set. Read-only variant of SORT."),
];

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the
/// first `*` is replaced by the element, and `->field` reads a hash field.
fn lookup_by_pattern(db: &mut Db, pattern: &[u8], elem: &Bytes) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(elem.clone());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let rest = &pattern[star + 1..];
    let arrow = rest
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < rest.len());
    let (suffix, field) = match arrow {
        Some(i) => (&rest[..i], Some(&rest[i + 2..])),
        None => (rest, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(suffix);
    match (db.get(&key)?, field) {
        (Value::Hash(h), Some(f)) => h.get_bytes(f),
        (Value::String(s), None) => Some(s.to_bytes()),
        _ => None,
    }
}

fn sort_generic(ctx: &mut Ctx<'_>, readonly: bool) -> CmdResult {
    let (mut desc, mut alpha) = (false, false);
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut store: Option<Bytes> = None;
    let mut by: Option<Bytes> = None;
    let mut dontsort = false;
    let mut gets: Vec<Bytes> = Vec::new();
    let argc = ctx.args.len();
    let mut j = 2;
    while j < argc {
        let left = argc - j - 1;
        let opt = ctx.arg(j);
        if is(opt, "asc") {
            desc = false;
        } else if is(opt, "desc") {
            desc = true;
        } else if is(opt, "alpha") {
            alpha = true;
        } else if is(opt, "limit") && left >= 2 {
            limit_start = args::int(ctx.arg(j + 1))?;
            limit_count = args::int(ctx.arg(j + 2))?;
            j += 2;
        } else if !readonly && is(opt, "store") && left >= 1 {
            store = Some(ctx.arg(j + 1).clone());
            j += 1;
        } else if is(opt, "by") && left >= 1 {
            let p = ctx.arg(j + 1);
            dontsort = !p.contains(&b'*');
            by = Some(p.clone());
            j += 1;
        } else if is(opt, "get") && left >= 1 {
            gets.push(ctx.arg(j + 1).clone());
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let key = ctx.arg(1);
    let list_limits = super::lists::list_limits(ctx.engine);
    let db = ctx.db();
    let source = db.get(key).cloned();
    let is_set = matches!(source, Some(Value::Set(_)));
    let mut elems: Vec<Bytes> = match source {
        None => Vec::new(),
        Some(Value::List(l)) => {
            // BY <constant> keeps the list's order, walked from the
            // tail for DESC.
            let mut v: Vec<Bytes> = l.into_vec();
            if dontsort && desc {
                v.reverse();
            }
            v
        }
        Some(Value::Set(s)) => s.iter().map(Bytes::copy_from_slice).collect(),
        Some(Value::ZSet(z)) => {
            let mut v: Vec<Bytes> = z.iter().map(|(m, _)| Bytes::copy_from_slice(m)).collect();
            if dontsort && desc {
                v.reverse();
            }
            v
        }
        Some(_) => return Err(wrongtype()),
    };
    if dontsort && is_set && store.is_some() {
        dontsort = false;
        alpha = true;
        by = None;
    }
    let len = elems.len() as i64;
    let mut start = limit_start.max(0);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(limit_count) - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    if !dontsort {
        let mut conversion_error = false;
        let mut keyed: Vec<(Bytes, Option<Bytes>, f64)> = Vec::with_capacity(elems.len());
        for e in elems.drain(..) {
            let byval = match &by {
                Some(p) => lookup_by_pattern(db, p, &e),
                None => Some(e.clone()),
            };
            let mut score = 0.0;
            if !alpha {
                if let Some(v) = &byval {
                    match sort_score(v) {
                        Some(s) => score = s,
                        None => conversion_error = true,
                    }
                }
            }
            keyed.push((e, byval, score));
        }
        if conversion_error {
            return Err(err("ERR One or more scores can't be converted into double"));
        }
        let by_pattern = by.is_some();
        keyed.sort_by(|a, b| {
            let cmp = if !alpha {
                a.2.partial_cmp(&b.2)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.0.cmp(&b.0))
            } else if by_pattern {
                match (&a.1, &b.1) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Less,
                    (Some(_), None) => std::cmp::Ordering::Greater,
                    (Some(x), Some(y)) => c_str(x).cmp(c_str(y)),
                }
            } else {
                a.0.cmp(&b.0)
            };
            if desc { cmp.reverse() } else { cmp }
        });
        elems = keyed.into_iter().map(|(e, _, _)| e).collect();
    }
    let range: Vec<Bytes> = if start <= end && end >= 0 {
        elems[start as usize..=end as usize].to_vec()
    } else {
        Vec::new()
    };
    let mut out: Vec<Option<Bytes>> = Vec::new();
    for e in &range {
        if gets.is_empty() {
            out.push(Some(e.clone()));
        }
        for g in &gets {
            out.push(lookup_by_pattern(db, g, e));
        }
    }
    match store {
        None => Ok(Reply::Array(
            out.into_iter()
                .map(|v| v.map_or(Reply::Nil, Reply::Bulk))
                .collect(),
        )),
        Some(dest) => {
            let n = out.len();
            if n > 0 {
                let list =
                    List::from_items(out.into_iter().map(Option::unwrap_or_default), list_limits);
                db.insert(&dest, Value::List(list));
                db.notify(events::LIST, "sortstore", &dest);
            } else if db.remove(&dest).is_some() {
                db.notify(events::GENERIC, "del", &dest);
            }
            Ok(Reply::int(n as i64))
        }
    }
}

/// Bytes up to the first NUL, as `strcoll` in the C locale compares them.
fn c_str(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// `strtod` as SORT applies it: leading spaces allowed, the rest must parse.
fn sort_score(v: &[u8]) -> Option<f64> {
    let trimmed: &[u8] = {
        let start = v
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(v.len());
        &v[start..]
    };
    if trimmed.is_empty() {
        return Some(0.0);
    }
    args::parse_strtod(trimmed)
}

/// SORT's keys, as Redis's `sortGetKeys`: the sorted key, and the last
/// STORE destination (BY and GET patterns are not keys).
fn sort_keys(args: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if is(a, "limit") {
            i += 2;
        } else if is(a, "get") || is(a, "by") {
            i += 1;
        } else if is(a, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

fn sort(ctx: &mut Ctx<'_>) -> CmdResult {
    sort_generic(ctx, false)
}

fn sort_ro(ctx: &mut Ctx<'_>) -> CmdResult {
    sort_generic(ctx, true)
}
