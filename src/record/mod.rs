//! Record and replay: a proxy that records a real Redis's replies as a
//! [fixture file](crate::fixture), and servers that serve a recording back.
//!
//! Record with the binary (`--features cli`) or with [`Recorder`] (feature
//! `record`, which brings in the `redis-protocol` crate to decode replies):
//!
//! ```text
//! mock-redis --port 6380 --proxy redis://127.0.0.1:6379 --record-to session.toml
//! ```
//!
//! Clients connect to port 6380 as they would to Redis: each connection
//! gets its own upstream connection, and every reply comes back byte for
//! byte (RESP3 after the client's `HELLO 3`). The file is written whole,
//! atomically, each time a connection closes and on Ctrl-C. It is an
//! ordinary fixture file in strict mode: per connection, one `[[mock]]`
//! for each distinct request (and db) with its reply, or a `sequence` of
//! its replies in order when they changed; `times` bounds a mock whose
//! request a later connection sent again, so replies come back in the
//! order they were recorded. Replies the [notation](crate::fixture::notation)
//! cannot spell exactly are kept as `raw` bytes.
//!
//! `HELLO`, `AUTH`, `SELECT`, `QUIT`, `RESET` and `CLIENT SETNAME/SETINFO`
//! are not recorded: they change the connection, so the engine answers
//! them on replay (mocks of a connection that had selected another db
//! carry `db = n`). Requests or replies that are not UTF-8 text are left
//! out (the file's header counts them), and so are messages and
//! invalidations pushed without a request.
//!
//! Replay with `mock-redis --replay session.toml` or
//! [`Builder::replay`](crate::Builder::replay): the recorded mocks in
//! strict mode, where a command no recording answers gets strict mode's
//! error, naming the closest recorded request:
//!
//! ```text
//! -ERR mock-redis: no mock matched 'GET' 'user:9'; closest recorded request: 'GET' 'user:1'
//! ```

#[cfg(feature = "record")]
mod proxy;
#[cfg(feature = "record")]
mod session;

#[cfg(feature = "record")]
pub use proxy::Recorder;

use std::sync::Arc;

use bytes::Bytes;

use crate::MockRedis;
use crate::fixture::Fixture;
use crate::mock::StrictHint;

/// Applies a recording to a server: its mocks, strict mode, and the hint
/// naming the closest recorded request in strict mode's error.
pub(crate) fn apply_replay(fixture: &Fixture, server: &MockRedis) {
    fixture.apply(server);
    let recorded = fixture.requests();
    let hint: StrictHint = Arc::new(move |request| {
        closest(&recorded, request.args())
            .map(|r| format!("closest recorded request: {}", quoted(r)))
    });
    server.shared().mocks.set_strict_hint(Some(hint));
    server.set_strict(true);
}

fn quoted(args: &[String]) -> String {
    args.iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The recorded request most like `args`: the same command name first,
/// then the same number of arguments, then the most arguments equal at
/// the same place; the first recorded among equals.
fn closest<'a>(recorded: &'a [Vec<String>], args: &[Bytes]) -> Option<&'a [String]> {
    /// Same name, same length, arguments equal in place.
    type Rank = (bool, bool, usize);
    let mut best: Option<(&[String], Rank)> = None;
    for r in recorded {
        let same_name = match (r.first(), args.first()) {
            (Some(a), Some(b)) => a.as_bytes().eq_ignore_ascii_case(b),
            _ => false,
        };
        let equal = r
            .iter()
            .zip(args)
            .skip(1)
            .filter(|(a, b)| a.as_bytes() == b.as_ref())
            .count();
        let rank = (same_name, r.len() == args.len(), equal);
        if best.as_ref().is_none_or(|(_, b)| rank > *b) {
            best = Some((r, rank));
        }
    }
    best.map(|(r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_request_shares_the_name_then_the_arguments() {
        let rec: Vec<Vec<String>> = [
            vec!["SET", "a", "1"],
            vec!["GET", "a"],
            vec!["GET", "b"],
            vec!["HGET", "h", "b"],
        ]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect();
        let args = |a: &[&str]| {
            a.iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect::<Vec<_>>()
        };
        assert_eq!(closest(&rec, &args(&["get", "b"])).unwrap(), ["GET", "b"]);
        assert_eq!(closest(&rec, &args(&["GET", "z"])).unwrap(), ["GET", "a"]);
        assert_eq!(
            closest(&rec, &args(&["DEL", "h", "b"])).unwrap(),
            ["HGET", "h", "b"]
        );
        assert_eq!(closest(&[], &args(&["GET", "z"])), None);
        assert_eq!(quoted(&rec[0]), "'SET' 'a' '1'");
    }
}
