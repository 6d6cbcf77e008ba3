//! Near-identical commands: pairs that do the same thing under another
//! name or spelling (`SETEX k 300 v` and `SET k v EX 300`, `HMSET` and
//! `HSET`, `INCRBY k 1` and `INCR k`, ...). When a mock's expectation is
//! not met and a synonym of what it expects arrived, the report says so.
//!
//! Only exact equivalents are listed: `RPUSH` and `LPUSH`, say, are not
//! synonyms (they push at different ends).

use bytes::Bytes;

/// The same command spelt the other way, if it has one: `args` is a full
/// command (`args[0]` is the name, in any case). Option names are
/// compared case-insensitively, as Redis does; the synonym's names are
/// upper case.
pub(crate) fn synonym(args: &[Bytes]) -> Option<Vec<Bytes>> {
    let name = args.first()?.to_ascii_uppercase();
    let word = |w: &'static str| Bytes::from_static(w.as_bytes());
    let arg = |i: usize| args[i].clone();
    let is = |i: usize, w: &str| args[i].eq_ignore_ascii_case(w.as_bytes());
    let with_name = |w: &'static str| {
        let mut out = args.to_vec();
        out[0] = word(w);
        out
    };
    let n = args.len();
    Some(match (name.as_slice(), n) {
        // SETEX key seconds value == SET key value EX seconds
        (b"SETEX", 4) => vec![word("SET"), arg(1), arg(3), word("EX"), arg(2)],
        (b"PSETEX", 4) => vec![word("SET"), arg(1), arg(3), word("PX"), arg(2)],
        (b"SETNX", 3) => vec![word("SET"), arg(1), arg(2), word("NX")],
        (b"GETSET", 3) => vec![word("SET"), arg(1), arg(2), word("GET")],
        (b"SET", 5) if is(3, "EX") => vec![word("SETEX"), arg(1), arg(4), arg(2)],
        (b"SET", 5) if is(3, "PX") => vec![word("PSETEX"), arg(1), arg(4), arg(2)],
        (b"SET", 4) if is(3, "NX") => vec![word("SETNX"), arg(1), arg(2)],
        (b"SET", 4) if is(3, "GET") => vec![word("GETSET"), arg(1), arg(2)],
        // HMSET key field value [field value ...] == HSET with the same arguments
        (b"HMSET", n) if n >= 4 && n % 2 == 0 => with_name("HSET"),
        (b"HSET", n) if n >= 4 && n % 2 == 0 => with_name("HMSET"),
        (b"INCRBY", 3) if args[2] == "1" => vec![word("INCR"), arg(1)],
        (b"INCR", 2) => vec![word("INCRBY"), arg(1), word("1")],
        (b"DECRBY", 3) if args[2] == "1" => vec![word("DECR"), arg(1)],
        (b"DECR", 2) => vec![word("DECRBY"), arg(1), word("1")],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syn(args: &[&str]) -> Option<Vec<String>> {
        let args: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        synonym(&args).map(|s| {
            s.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
    }

    #[test]
    fn each_pair_both_ways() {
        let pairs: &[(&[&str], &[&str])] = &[
            (&["setex", "k", "300", "v"], &["SET", "k", "v", "EX", "300"]),
            (
                &["PSETEX", "k", "1500", "v"],
                &["SET", "k", "v", "PX", "1500"],
            ),
            (&["SETNX", "k", "v"], &["SET", "k", "v", "NX"]),
            (&["GETSET", "k", "v"], &["SET", "k", "v", "GET"]),
            (
                &["HMSET", "h", "f", "v", "g", "w"],
                &["HSET", "h", "f", "v", "g", "w"],
            ),
            (&["INCRBY", "n", "1"], &["INCR", "n"]),
            (&["DECRBY", "n", "1"], &["DECR", "n"]),
        ];
        for (a, b) in pairs {
            let upper = |s: &[&str]| {
                let mut v: Vec<String> = s.iter().map(|x| x.to_string()).collect();
                v[0] = v[0].to_ascii_uppercase();
                v
            };
            assert_eq!(syn(a), Some(upper(b)), "{a:?}");
            assert_eq!(syn(b), Some(upper(a)), "{b:?}");
        }
        assert_eq!(
            syn(&["set", "k", "v", "ex", "10"]),
            Some(vec!["SETEX".into(), "k".into(), "10".into(), "v".into()])
        );
    }

    #[test]
    fn not_synonyms() {
        assert_eq!(syn(&["RPUSH", "q", "a"]), None);
        assert_eq!(syn(&["LPUSH", "q", "a"]), None);
        assert_eq!(syn(&["INCRBY", "n", "2"]), None, "only a step of 1 is INCR");
        assert_eq!(syn(&["SET", "k", "v"]), None);
        assert_eq!(syn(&["SET", "k", "v", "EX", "10", "NX"]), None);
        assert_eq!(syn(&["SET", "k", "v", "XX"]), None);
        assert_eq!(syn(&["HSET", "h", "f"]), None, "malformed: no synonym");
        assert_eq!(syn(&["SETEX", "k", "10"]), None);
        assert_eq!(syn(&[]), None);
    }
}
