//! The keys and channels a command names, with what it does to each key,
//! for the permission check: Redis's `getKeysFromCommandWithSpecs` (key
//! specs: `access` reads, `insert`/`update`/`delete` write) and the pub/sub
//! channel arguments (`ACLDoesCommandHaveChannels`).

use bytes::Bytes;

use super::selector::{READ, WRITE};
use crate::engine::command::{BeginSearch, CommandSpec, FindKeys, KeySpecDef};
use crate::protocol::string2ll;

/// The READ/WRITE permissions key-spec flags ask for.
fn need_of(flags: &[&str]) -> u8 {
    let mut need = 0;
    for f in flags {
        match *f {
            "access" => need |= READ,
            "insert" | "update" | "delete" => need |= WRITE,
            _ => {}
        }
    }
    need
}

/// The positions one key spec finds, or `None` when it cannot say
/// (an `unknown` begin or find step).
fn spec_positions(k: &KeySpecDef, args: &[Bytes]) -> Option<Vec<usize>> {
    let argc = args.len() as i64;
    let first = match k.begin {
        BeginSearch::Index(i) => i as i64,
        BeginSearch::Keyword { keyword, startfrom } => {
            let (start, end, step) = if startfrom >= 0 {
                (startfrom as i64, argc - 1, 1)
            } else {
                (argc + startfrom as i64, 1, -1)
            };
            let mut i = start;
            let mut found = None;
            while (step > 0 && i <= end) || (step < 0 && i >= end) {
                if i >= 1 && i < argc && args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                    found = Some(i + 1);
                    break;
                }
                i += step;
            }
            match found {
                Some(f) => f,
                None => return Some(Vec::new()),
            }
        }
        BeginSearch::Unknown => return None,
    };
    if first >= argc || first < 1 {
        return Some(Vec::new());
    }
    let (first, last, step) = match k.find {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            let last = if lastkey >= 0 {
                first + lastkey as i64
            } else if limit <= 1 {
                argc + lastkey as i64
            } else {
                first + ((argc - first) / limit as i64 + lastkey as i64)
            };
            (first, last, keystep.max(1) as i64)
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            let at = first + keynumidx as i64;
            let Some(n) = args.get(at as usize).and_then(|a| string2ll(a)) else {
                return Some(Vec::new());
            };
            if n <= 0 {
                return Some(Vec::new());
            }
            let start = first + firstkey as i64;
            let step = keystep.max(1) as i64;
            (start, start + (n - 1).saturating_mul(step), step)
        }
        FindKeys::Unknown => return None,
    };
    let mut out = Vec::new();
    let mut i = first;
    while i <= last && i < argc {
        out.push(i as usize);
        i += step;
    }
    Some(out)
}

/// The keys `args` names for `spec`, each with the permissions it needs.
pub(crate) fn key_refs(spec: &CommandSpec, args: &[Bytes]) -> Vec<(usize, u8)> {
    if let Some(need) = variable_flags(spec, args) {
        return vec![(1, need)];
    }
    if spec.key_specs.is_empty() {
        let need = need_of(spec.keys.flags);
        return spec.keys_in(args).into_iter().map(|i| (i, need)).collect();
    }
    let mut found = Vec::new();
    let mut incomplete = 0;
    for k in spec.key_specs {
        match spec_positions(k, args) {
            Some(positions) => found.extend(positions.into_iter().map(|i| (i, need_of(k.flags)))),
            None => incomplete |= need_of(k.flags),
        }
    }
    if incomplete != 0 || spec.getkeys.is_some() {
        // The command's own key extraction knows the keys the specs cannot
        // describe (SORT's STORE, ...).
        let mut all: Vec<(usize, u8)> = Vec::new();
        for i in spec.keys_in(args) {
            let need = found
                .iter()
                .filter(|(p, _)| *p == i)
                .map(|(_, n)| *n)
                .reduce(|a, b| a | b)
                .unwrap_or(incomplete);
            all.push((i, need));
        }
        for &(p, n) in &found {
            if !all.iter().any(|(q, _)| *q == p) {
                all.push((p, n));
            }
        }
        return all;
    }
    found
}

/// The commands whose key spec has `variable_flags`: what the key needs
/// depends on the arguments (Redis's `setGetKeys`, `bitfieldGetKeys`).
fn variable_flags(spec: &CommandSpec, args: &[Bytes]) -> Option<u8> {
    match spec.name {
        // SET only reads the key with GET.
        "set" if args.len() >= 3 => Some(
            if args[3..].iter().any(|a| a.eq_ignore_ascii_case(b"get")) {
                READ | WRITE
            } else {
                WRITE
            },
        ),
        // BITFIELD with GET (and OVERFLOW) only is a read.
        "bitfield" if args.len() >= 2 => {
            let mut i = 2;
            let mut readonly = true;
            while i < args.len() {
                let rest = args.len() - i - 1;
                let a = &args[i];
                if a.eq_ignore_ascii_case(b"get") && rest >= 2 {
                    i += 2;
                } else if a.eq_ignore_ascii_case(b"overflow") && rest >= 1 {
                    i += 1;
                } else {
                    readonly = false;
                    break;
                }
                i += 1;
            }
            Some(if readonly { READ } else { READ | WRITE })
        }
        _ => None,
    }
}

/// The channel arguments of a pub/sub command that names channels, and
/// whether they are compared literally (PSUBSCRIBE's patterns).
pub(crate) fn channel_args(
    spec: &CommandSpec,
    is_sub: bool,
    argc: usize,
) -> Option<(std::ops::Range<usize>, bool)> {
    if is_sub {
        return None;
    }
    match spec.name {
        "publish" | "spublish" => Some((1..2.min(argc), false)),
        "subscribe" | "ssubscribe" => Some((1..argc, false)),
        "psubscribe" => Some((1..argc, true)),
        _ => None,
    }
}
