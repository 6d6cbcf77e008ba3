//! What the SCAN family shares (SCAN in `keys.rs`, HSCAN, SSCAN, ZSCAN):
//! cursor parsing, the `MATCH`/`COUNT` options, the reply shape and the
//! pager over a hashtable-encoded aggregate.
//!
//! Cursors count the table positions still to visit ([`scan_span`]), so an
//! item present for a whole iteration is returned at least once, whatever
//! is added or removed meanwhile (Redis's guarantee), a call costs O(COUNT)
//! and cursors stay below the table's size. A new `*SCAN` command uses
//! these.

use bytes::Bytes;

use crate::engine::types::scan_span;
use crate::engine::util::args::{self, is};
use crate::engine::util::errors::{INVALID_CURSOR, err, syntax_error};
use crate::glob::glob_match;
use crate::protocol::Reply;

/// Redis's `parseScanCursorOrReply`: `strtoul` in base 10 over the whole
/// argument (a leading `-` wraps around, as in C), no leading space, no
/// overflow; `ERR invalid cursor` otherwise.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let invalid = || err(INVALID_CURSOR);
    if arg.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// The options of SSCAN, HSCAN and ZSCAN (`MATCH pattern`, `COUNT n`).
pub(crate) struct ScanOpts {
    pub count: usize,
    pub pattern: Option<Bytes>,
}

impl ScanOpts {
    /// Parses the options after the cursor, as Redis's `scanGenericCommand`
    /// does for a key's scan (where `TYPE` is a syntax error).
    pub fn parse(opts: &[Bytes]) -> Result<ScanOpts, Reply> {
        let mut out = ScanOpts {
            count: 10,
            pattern: None,
        };
        let mut i = 0;
        while i < opts.len() {
            let more = opts.len() - i >= 2;
            if is(&opts[i], "count") && more {
                let n = args::int(&opts[i + 1])?;
                if n < 1 {
                    return Err(syntax_error());
                }
                out.count = n as usize;
            } else if is(&opts[i], "match") && more {
                let p = &opts[i + 1];
                out.pattern = (p[..] != b"*"[..]).then(|| p.clone());
            } else {
                return Err(syntax_error());
            }
            i += 2;
        }
        Ok(out)
    }

    /// Whether `item` passes the MATCH filter.
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern.as_ref().is_none_or(|p| glob_match(p, item))
    }
}

/// `[cursor, [items...]]`.
pub(crate) fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from(cursor.to_string())),
        Reply::Array(items),
    ])
}

/// One page of a hashtable scan over a table of `len` positions, `at`
/// giving the item at a position: the next cursor (0 at the end) and the
/// items of the `count` positions the page visits (see [`scan_span`]).
pub(crate) fn scan_page<T>(
    len: usize,
    cursor: u64,
    count: usize,
    at: impl Fn(usize) -> Option<T>,
) -> (u64, Vec<T>) {
    let (next, span) = scan_span(len, cursor, count);
    (next, span.rev().filter_map(at).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As redis-server 7.0.15 answers `SCAN <cursor>` (and SSCAN, HSCAN,
    /// ZSCAN on a missing key).
    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+7"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b" 1",
            b" 5",
            b"-",
            b"+",
            b"1x",
            b"x",
            b"++5",
            b"-+5",
        ] {
            assert_eq!(parse_cursor(bad), Err(err(INVALID_CURSOR)), "{bad:?}");
        }
    }

    #[test]
    fn scan_pages_cover_everything_once() {
        let items: Vec<Bytes> = (0..100).map(|i| Bytes::from(format!("m{i}"))).collect();
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            let (next, page) = scan_page(items.len(), cursor, 7, |i| items.get(i));
            assert!(next == 0 || page.len() == 7);
            assert!(next < items.len() as u64);
            seen.extend(page.into_iter().cloned());
            if next == 0 {
                break;
            }
            cursor = next;
        }
        seen.sort();
        let mut want = items.clone();
        want.sort();
        assert_eq!(seen, want);
    }

    /// Redis's SCAN guarantee, through the real commands: whatever is
    /// added, deleted or expired between (and during) calls, every element
    /// present from the first call to the last is returned, and every
    /// cursor answered stays below the table's size.
    mod guarantee {
        use std::collections::BTreeSet;
        use std::time::Duration;

        use bytes::Bytes;
        use proptest::prelude::*;

        use crate::engine::{Config, Engine};
        use crate::protocol::Reply;

        #[derive(Clone, Debug)]
        enum Op {
            Add(u16),
            Del(u16),
            /// A deadline in the past once the clock ticks (SCAN only).
            Expire(u16),
            Tick,
            Page(u8),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => (0u16..400).prop_map(Op::Add),
                3 => (0u16..400).prop_map(Op::Del),
                1 => (0u16..400).prop_map(Op::Expire),
                1 => Just(Op::Tick),
                4 => (1u8..40).prop_map(Op::Page),
            ]
        }

        #[derive(Clone, Copy, Debug)]
        enum Family {
            Scan,
            Sscan,
            Hscan,
            Zscan,
        }

        fn run(e: &mut Engine, c: u64, words: &[&str]) -> Reply {
            let args: Vec<Bytes> = words
                .iter()
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect();
            e.execute(c, &args).reply
        }

        fn name(f: Family, id: u16) -> String {
            match f {
                Family::Scan => format!("k{id}"),
                _ => format!("m{id}"),
            }
        }

        fn add(e: &mut Engine, c: u64, f: Family, id: u16) {
            let n = name(f, id);
            match f {
                Family::Scan => run(e, c, &["SET", &n, "v"]),
                Family::Sscan => run(e, c, &["SADD", "agg", &n]),
                Family::Hscan => run(e, c, &["HSET", "agg", &n, "v"]),
                Family::Zscan => run(e, c, &["ZADD", "agg", &id.to_string(), &n]),
            };
        }

        fn del(e: &mut Engine, c: u64, f: Family, id: u16) {
            let n = name(f, id);
            match f {
                Family::Scan => run(e, c, &["DEL", &n]),
                Family::Sscan => run(e, c, &["SREM", "agg", &n]),
                Family::Hscan => run(e, c, &["HDEL", "agg", &n]),
                Family::Zscan => run(e, c, &["ZREM", "agg", &n]),
            };
        }

        /// One page: the cursor answered and the elements returned.
        fn page(e: &mut Engine, c: u64, f: Family, cursor: u64, count: u8) -> (u64, Vec<Bytes>) {
            let (cur, count) = (cursor.to_string(), count.to_string());
            let reply = match f {
                Family::Scan => run(e, c, &["SCAN", &cur, "COUNT", &count]),
                Family::Sscan => run(e, c, &["SSCAN", "agg", &cur, "COUNT", &count]),
                Family::Hscan => run(e, c, &["HSCAN", "agg", &cur, "COUNT", &count]),
                Family::Zscan => run(e, c, &["ZSCAN", "agg", &cur, "COUNT", &count]),
            };
            let Reply::Array(parts) = reply else {
                panic!("not a scan reply: {reply:?}")
            };
            let (Reply::Bulk(next), Reply::Array(items)) = (&parts[0], &parts[1]) else {
                panic!("not a scan reply: {parts:?}")
            };
            let next: u64 = std::str::from_utf8(next).unwrap().parse().unwrap();
            let step = if matches!(f, Family::Hscan | Family::Zscan) {
                2
            } else {
                1
            };
            let items = items
                .iter()
                .step_by(step)
                .map(|r| match r {
                    Reply::Bulk(b) => b.clone(),
                    other => panic!("not a bulk: {other:?}"),
                })
                .collect();
            (next, items)
        }

        fn table_len(e: &mut Engine, c: u64, f: Family) -> i64 {
            let reply = match f {
                Family::Scan => run(e, c, &["DBSIZE"]),
                Family::Sscan => run(e, c, &["SCARD", "agg"]),
                Family::Hscan => run(e, c, &["HLEN", "agg"]),
                Family::Zscan => run(e, c, &["ZCARD", "agg"]),
            };
            match reply {
                Reply::Integer(n) => n,
                other => panic!("{other:?}"),
            }
        }

        fn check(f: Family, initial: u16, ops: Vec<Op>) {
            let mut e = Engine::new(Config::default());
            let c = e.connect("test".into(), "test".into());
            for (k, v) in [
                ("hash-max-listpack-entries", "0"),
                ("zset-max-listpack-entries", "0"),
            ] {
                assert_eq!(run(&mut e, c, &["CONFIG", "SET", k, v]), Reply::ok());
            }
            for id in 0..initial {
                add(&mut e, c, f, id);
            }
            let mut required: BTreeSet<Bytes> =
                (0..initial).map(|id| Bytes::from(name(f, id))).collect();
            let mut seen = BTreeSet::new();
            let mut cursor = 0u64;
            let mut started = false;
            let mut ops = ops.into_iter();
            loop {
                let count = match ops.next() {
                    Some(Op::Add(id)) => {
                        add(&mut e, c, f, id);
                        continue;
                    }
                    Some(Op::Del(id)) => {
                        del(&mut e, c, f, id);
                        required.remove(name(f, id).as_bytes());
                        continue;
                    }
                    Some(Op::Expire(id)) => {
                        if let Family::Scan = f {
                            run(&mut e, c, &["PEXPIRE", &name(f, id), "10"]);
                            required.remove(name(f, id).as_bytes());
                        }
                        continue;
                    }
                    Some(Op::Tick) => {
                        e.clock.fast_forward(Duration::from_millis(20));
                        continue;
                    }
                    Some(Op::Page(n)) => n,
                    None => 10,
                };
                if started && cursor == 0 {
                    break;
                }
                let len = table_len(&mut e, c, f);
                let (next, items) = page(&mut e, c, f, cursor, count);
                started = true;
                assert!(
                    next == 0 || (next as i64) < len.max(1),
                    "cursor {next} for {len} elements"
                );
                assert!(next < 1 << 53);
                seen.extend(items);
                cursor = next;
            }
            let missed: Vec<_> = required.difference(&seen).collect();
            assert!(missed.is_empty(), "{f:?} missed {missed:?}");
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// The same history for each of the four commands.
            #[test]
            fn every_element_present_throughout_is_returned(
                initial in 0u16..300, ops in prop::collection::vec(op(), 0..200),
            ) {
                for f in [Family::Scan, Family::Sscan, Family::Hscan, Family::Zscan] {
                    check(f, initial, ops.clone());
                }
            }
        }
    }
}
