//! What the SCAN family shares (SCAN in `keys.rs`, HSCAN, SSCAN, ZSCAN):
//! cursor parsing, the `MATCH`/`COUNT` options, the reply shape and the
//! pager over a hashtable-encoded aggregate.
//!
//! Cursors are positions in a fixed hash order ([`scan_hash`]), so an item
//! present for a whole iteration is returned exactly once, whatever is
//! added or removed meanwhile (Redis's guarantee), and the order does not
//! depend on the process's hash seeds. A new `*SCAN` command uses these.

use bytes::Bytes;

use crate::engine::types::scan_hash;
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

/// One page of a hashtable scan. Items are visited in the order of a fixed
/// hash of their name, and a cursor is the position to resume from, so an
/// item present for the whole scan is returned exactly once, whatever is
/// added or removed meanwhile (Redis's guarantee). Returns the next cursor
/// (0 at the end) and the page, at least `count` items unless it ends.
pub(crate) fn scan_page<'a, T>(
    items: impl Iterator<Item = (&'a Bytes, T)>,
    cursor: u64,
    count: usize,
) -> (u64, Vec<(&'a Bytes, T)>) {
    let pos = |m: &[u8]| scan_hash(m) + 1;
    let mut rest: Vec<(u64, (&'a Bytes, T))> = items
        .map(|(m, v)| (pos(m), (m, v)))
        .filter(|(p, _)| *p >= cursor)
        .collect();
    if rest.len() > count {
        rest.select_nth_unstable_by_key(count, |(p, _)| *p);
        let boundary = rest[count].0;
        // Keep every item sharing the boundary position on the same page side.
        let (mut page, tail): (Vec<_>, Vec<_>) = rest.into_iter().partition(|(p, _)| *p < boundary);
        page.sort_unstable_by_key(|(p, _)| *p);
        let _ = tail;
        (boundary, page.into_iter().map(|(_, x)| x).collect())
    } else {
        rest.sort_unstable_by_key(|(p, _)| *p);
        (0, rest.into_iter().map(|(_, x)| x).collect())
    }
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
            let (next, page) = scan_page(items.iter().map(|m| (m, ())), cursor, 7);
            assert!(next == 0 || page.len() >= 7);
            seen.extend(page.into_iter().map(|(m, ())| m.clone()));
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
}
