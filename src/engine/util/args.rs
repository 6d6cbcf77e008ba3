//! Argument parsing shared by every command group: keywords, integers and
//! floats read the way Redis reads them, failing with Redis's exact error
//! replies (the texts live in [`errors`](super::errors)).
//!
//! Parse failures come back as `Err(Reply)` holding the error the client must
//! see, so handlers (which return `CmdResult`) write
//! `let n = args::int(ctx.arg(2))?;`. A new parser
//! that more than one command group needs goes here; one only a single
//! group needs stays in that group's file.

use super::errors::{
    COUNT_NOT_POSITIVE, NOT_FLOAT, NOT_INTEGER, NUMKEYS_NOT_POSITIVE, OUT_OF_LONG_RANGE, err,
    not_between,
};
use crate::protocol::{Reply, string2ll};

/// Whether `arg` equals the ASCII keyword `word`, ignoring case.
pub(crate) fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// A 64-bit integer as Redis's `getLongLongFromObjectOrReply` parses it
/// (strict: no spaces, no `+`, no leading zeros).
pub(crate) fn int(arg: &[u8]) -> Result<i64, Reply> {
    string2ll(arg).ok_or_else(|| err(NOT_INTEGER))
}

/// An integer with a custom error for unparsable input (the `msg` argument
/// of Redis's `getLongLongFromObjectOrReply`).
pub(crate) fn int_or(arg: &[u8], msg: &'static str) -> Result<i64, Reply> {
    string2ll(arg).ok_or_else(|| err(msg))
}

/// An integer in `min..=max`, as Redis's `getRangeLongFromObjectOrReply`:
/// unparsable input gets `msg` (or the not-an-integer error), out-of-range
/// input gets `msg` (or `value is out of range, must be between MIN and MAX`).
pub(crate) fn int_in_range(
    arg: &[u8],
    min: i64,
    max: i64,
    msg: Option<&'static str>,
) -> Result<i64, Reply> {
    let v = string2ll(arg).ok_or_else(|| err(msg.unwrap_or(NOT_INTEGER)))?;
    if v < min || v > max {
        return Err(match msg {
            Some(m) => err(m),
            None => not_between(min, max),
        });
    }
    Ok(v)
}

/// A `numkeys` argument (SINTERCARD, LMPOP, ZMPOP, ...): at least 1.
pub(crate) fn numkeys(arg: &[u8]) -> Result<i64, Reply> {
    int_in_range(arg, 1, i64::MAX, Some(NUMKEYS_NOT_POSITIVE))
}

/// The `COUNT` of LMPOP and ZMPOP (and their blocking variants): at least 1.
pub(crate) fn positive_count(arg: &[u8]) -> Result<i64, Reply> {
    int_in_range(arg, 1, i64::MAX, Some(COUNT_NOT_POSITIVE))
}

/// The count of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER (Redis's
/// `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`): any integer but
/// `i64::MIN`, whose negation ("that many, repetitions allowed") overflows.
pub(crate) fn random_count(arg: &[u8]) -> Result<i64, Reply> {
    let n = int(arg)?;
    if n == i64::MIN {
        return Err(err(OUT_OF_LONG_RANGE));
    }
    Ok(n)
}

/// A double as Redis's `getDoubleFromObject` parses it with `strtod`: no
/// leading space, the whole argument consumed, no NaN, and no overflow to
/// infinity or underflow to zero. `inf`, `-inf`, `infinity` (any case) and
/// C hexadecimal floats are accepted, as `strtod` accepts them.
pub(crate) fn float(arg: &[u8]) -> Result<f64, Reply> {
    parse_strtod(arg).ok_or_else(|| err(NOT_FLOAT))
}

/// Like [`float`], with a custom error text (`ERR min or max is not a float`, ...).
pub(crate) fn float_or(arg: &[u8], msg: &'static str) -> Result<f64, Reply> {
    parse_strtod(arg).ok_or_else(|| err(msg))
}

/// `strtod` over the whole of `s` with Redis's extra checks; `None` when
/// Redis would reject the value.
pub(crate) fn parse_strtod(s: &[u8]) -> Option<f64> {
    // The common case, a short integer (`ZADD key 0 member`): exact as an
    // f64 below 2^53, so converting the integer is what strtod returns.
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')) as f64;
        return Some(if digits.len() < s.len() { -n } else { n });
    }
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || s[0].is_ascii_whitespace() || s[0] == 0x0b {
        return None;
    }
    let (negative, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let starts_with = |prefix: &str| {
        body.len() >= prefix.len()
            && body.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    let magnitude = if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        f64::INFINITY
    } else if starts_with("nan") {
        return None;
    } else if starts_with("0x") {
        parse_hex_float(&body[2..].to_ascii_lowercase())?
    } else {
        // Rust's grammar is C's decimal grammar minus the forms handled above.
        if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            || !body
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        let mantissa = body.split(['e', 'E']).next().unwrap_or("");
        let nonzero = mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
        if v.is_infinite() || (v == 0.0 && nonzero) {
            return None; // ERANGE: overflow, or underflow to zero
        }
        v
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The part of a C hexadecimal float after `0x`: hex digits with an
/// optional point, then an optional binary exponent `p[+-]N`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find('p') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    if let Some(exp) = exp {
        let e: i32 = match exp.as_bytes().first() {
            Some(b'+') | Some(b'-') | Some(b'0'..=b'9') => exp.parse().ok()?,
            _ => return None,
        };
        v *= 2f64.powi(e);
    }
    if v.is_infinite() {
        return None;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(int(b"-5"), Ok(-5));
        assert_eq!(int(b" 5"), Err(err(NOT_INTEGER)));
        assert_eq!(int(b"9223372036854775808"), Err(err(NOT_INTEGER)));
        assert_eq!(
            int_in_range(b"20", 0, 10, None),
            Err(Reply::error(
                "ERR value is out of range, must be between 0 and 10"
            ))
        );
    }

    #[test]
    fn floats_follow_strtod() {
        assert_eq!(float(b"1.5"), Ok(1.5));
        assert_eq!(float(b".5"), Ok(0.5));
        assert_eq!(float(b"5."), Ok(5.0));
        assert_eq!(float(b"-inf"), Ok(f64::NEG_INFINITY));
        assert_eq!(float(b"+Infinity"), Ok(f64::INFINITY));
        assert_eq!(float(b"1e3"), Ok(1000.0));
        assert_eq!(float(b"0x10"), Ok(16.0));
        assert_eq!(float(b"0x1.8p1"), Ok(3.0));
        assert_eq!(float(b"1e-310").map(|v| v > 0.0), Ok(true));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"1e400",
            b"1e-400",
            b"abc",
            b"1e",
            b"--1",
        ] {
            assert_eq!(float(bad), Err(err(NOT_FLOAT)), "{bad:?}");
        }
        assert_eq!(float(b"0e5"), Ok(0.0));
        assert_eq!(float(b"0X1P4"), Ok(16.0));
        assert_eq!(float(b"INF"), Ok(f64::INFINITY));
        for bad in [&b"-"[..], b"NaN", b"-nan", b"1-", b"0x"] {
            assert_eq!(float(bad), Err(err(NOT_FLOAT)), "{bad:?}");
        }
    }

    #[test]
    fn short_integers_parse_as_the_general_path_does() {
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "00012",
            "123456789012345",
            "-999999999999999",
            "1234567890123456",
            "9007199254740993",
        ] {
            let got = parse_strtod(text.as_bytes()).unwrap();
            let want: f64 = text.parse().unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{text}");
        }
    }
}
