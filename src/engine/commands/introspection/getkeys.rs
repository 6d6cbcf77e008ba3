//! COMMAND GETKEYSANDFLAGS: the keys COMMAND GETKEYS finds, each with the
//! flags of the key specification it comes from. The specifications are
//! Redis 7.0.15's own (`command_docs`), evaluated as Redis's
//! `getKeysUsingKeySpecs` does; a command whose specifications cannot say
//! (a keyword not found, an `unknown` search, `variable_flags`) falls back
//! to the command's own key extraction, its n-th key taking the n-th
//! specification's flags (as SORT's procedure gives its STORE key).

use bytes::Bytes;

use crate::engine::command::{CommandSpec, full_name};
use crate::engine::command_docs;
use crate::protocol::{Reply, string2ll};

/// One key specification's search, read from the captured `COMMAND INFO`.
struct Spec<'a> {
    flags: &'a Reply,
    begin: &'a Reply,
    find: &'a Reply,
}

fn field<'a>(map: &'a Reply, name: &str) -> Option<&'a Reply> {
    match map {
        Reply::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| matches!(k, Reply::Bulk(b) if b == name.as_bytes()))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn int(map: &Reply, name: &str) -> Option<i64> {
    match field(map, name)? {
        Reply::Integer(n) => Some(*n),
        _ => None,
    }
}

fn text<'a>(map: &'a Reply, name: &str) -> Option<&'a [u8]> {
    match field(map, name)? {
        Reply::Bulk(b) => Some(b),
        _ => None,
    }
}

fn specs(spec: &CommandSpec, parent: Option<&CommandSpec>) -> Vec<Spec<'static>> {
    let Some(entry) = command_docs::entry(&full_name(spec, parent)) else {
        return Vec::new();
    };
    let Reply::Array(info) = &entry.info else {
        return Vec::new();
    };
    let Some(Reply::Set(list)) = info.get(8) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|s| {
            Some(Spec {
                flags: field(s, "flags")?,
                begin: field(s, "begin_search")?,
                find: field(s, "find_keys")?,
            })
        })
        .collect()
}

/// The keys one specification finds, or `None` where Redis's search gives
/// up (`invalid_spec`).
fn search(spec: &Spec<'_>, args: &[Bytes]) -> Option<Vec<usize>> {
    let argc = args.len() as i64;
    let begin = field(spec.begin, "spec")?;
    let first = match text(spec.begin, "type")? {
        b"index" => int(begin, "index")?,
        b"keyword" => {
            let keyword = text(begin, "keyword")?;
            let from = int(begin, "startfrom")?;
            let (start, end) = if from > 0 {
                (from, argc - 1)
            } else {
                (argc + from, 1)
            };
            let mut i = start;
            let mut found = None;
            while i != end && (1..argc).contains(&i) {
                if args[i as usize].eq_ignore_ascii_case(keyword) {
                    found = Some(i + 1);
                    break;
                }
                i += if start <= end { 1 } else { -1 };
            }
            // A keyword that is absent means no key for this spec.
            let Some(first) = found else {
                return Some(Vec::new());
            };
            first
        }
        _ => return None,
    };
    let find = field(spec.find, "spec")?;
    let (first, last, step) = match text(spec.find, "type")? {
        b"range" => {
            let (lastkey, limit) = (int(find, "lastkey")?, int(find, "limit")?);
            let last = if lastkey >= 0 {
                first + lastkey
            } else if limit == 0 {
                argc + lastkey
            } else {
                first + ((argc - first) / limit + lastkey)
            };
            (first, last, int(find, "keystep")?)
        }
        b"keynum" => {
            let idx = int(find, "keynumidx")?;
            if idx >= argc - first {
                return None;
            }
            let n = string2ll(&args[(first + idx) as usize]).filter(|n| *n >= 0)?;
            let first = first + int(find, "firstkey")?;
            (first, first + n - 1, int(find, "keystep")?)
        }
        _ => return None,
    };
    if last >= argc || last < first || first >= argc || step <= 0 {
        return None;
    }
    Some(
        (first..=last)
            .step_by(step as usize)
            .map(|i| i as usize)
            .collect(),
    )
}

/// The flags of the one key of SET and BITFIELD, whose spec says
/// `variable_flags` (Redis's `setGetKeys` and `bitfieldGetKeys`).
fn variable_flags(name: &str, args: &[Bytes]) -> Reply {
    let flags =
        |names: &[&'static str]| Reply::Set(names.iter().map(|f| Reply::simple(*f)).collect());
    let read_write = flags(&["RW", "access", "update"]);
    if name == "set" {
        if args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
            return read_write;
        }
        return flags(&["OW", "update"]);
    }
    // BITFIELD: read-only when every operation is a GET (or OVERFLOW).
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        let arg = &args[i];
        if arg.eq_ignore_ascii_case(b"get") && more >= 2 {
            i += 3;
        } else if arg.eq_ignore_ascii_case(b"overflow") && more >= 1 {
            i += 2;
        } else {
            return read_write;
        }
    }
    flags(&["RO", "access"])
}

/// `[key, flags]` pairs for `args` (the command and its arguments).
pub(crate) fn keys_and_flags(
    spec: &'static CommandSpec,
    parent: Option<&'static CommandSpec>,
    args: &[Bytes],
) -> Reply {
    let specs = specs(spec, parent);
    let variable = specs.iter().any(|s| match s.flags {
        Reply::Set(f) => f
            .iter()
            .any(|f| matches!(f, Reply::Simple(x) if x == "variable_flags")),
        _ => false,
    });
    let found: Option<Vec<(usize, &Reply)>> = (!variable && !specs.is_empty())
        .then(|| {
            specs
                .iter()
                .map(|s| Some(search(s, args)?.into_iter().map(|i| (i, s.flags))))
                .collect::<Option<Vec<_>>>()
                .map(|all| all.into_iter().flatten().collect())
        })
        .flatten();
    let empty = Reply::Set(Vec::new());
    if variable {
        return Reply::Array(vec![Reply::Array(vec![
            Reply::Bulk(args[1].clone()),
            variable_flags(spec.name, args),
        ])]);
    }
    // The fallback, as Redis's getkeys procedures assign flags: the first
    // key takes the first spec's flags, the others the last spec's (SORT's
    // STORE key).
    let keys = found.unwrap_or_else(|| {
        spec.keys_in(args)
            .into_iter()
            .enumerate()
            .map(|(n, i)| {
                let s = if n == 0 { specs.first() } else { specs.last() };
                (i, s.map_or(&empty, |s| s.flags))
            })
            .collect()
    });
    Reply::Array(
        keys.into_iter()
            .map(|(i, flags)| Reply::Array(vec![Reply::Bulk(args[i].clone()), flags.clone()]))
            .collect(),
    )
}
