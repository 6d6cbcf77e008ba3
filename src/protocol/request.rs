//! The request parser: Redis's own rules for multibulk and inline requests.
//!
//! This mirrors `processMultibulkBuffer` and `processInlineBuffer` in Redis's
//! `networking.c` rather than decoding generic RESP: a request is either an
//! array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or one line of
//! space-separated words with redis-cli's quoting rules (`GET "my key"\r\n`).
//! Anything else gets the protocol error Redis gives, after which the server
//! closes the connection.
//!
//! Not part of the public API: the crate uses it through `crate::protocol`,
//! and the fuzz targets and property tests reach [`RequestParser`],
//! [`ProtocolError`] and [`INLINE_MAX_SIZE`] through the hidden
//! `mock_redis::__private::parser`.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};

/// Longest inline request, and longest multibulk or bulk header line, Redis
/// buffers before giving up (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Arguments up to this size are copied out of the read buffer; larger
/// ones are split off it without copying.
const COPY_ARG_MAX: usize = 4096;
/// The largest argument vector [`RequestParser::recycle`] keeps.
const RECYCLED_ARGV_MAX: usize = 64;
/// Largest bulk argument Redis accepts by default (`proto-max-bulk-len`, 512 MB).
const MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
/// Largest multibulk count a client may send before it authenticates.
const UNAUTHENTICATED_MAX_MULTIBULK: i64 = 10;
/// Largest bulk length a client may send before it authenticates.
const UNAUTHENTICATED_MAX_BULK: i64 = 16384;

/// A request Redis would reject with `-ERR Protocol error: ...` before
/// closing the connection.
///
/// ```
/// use bytes::BytesMut;
/// use mock_redis::__private::parser::RequestParser;
///
/// let mut buf = BytesMut::from(&b"*1\r\n:1\r\n"[..]);
/// let err = RequestParser::new().parse(&mut buf, false).unwrap_err();
/// assert_eq!(err.to_string(), "Protocol error: expected '$', got ':'");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    detail: Vec<u8>,
}

impl ProtocolError {
    fn new(detail: impl Into<Vec<u8>>) -> ProtocolError {
        ProtocolError {
            detail: detail.into(),
        }
    }

    /// The error text Redis replies with, without the leading `-`.
    pub(crate) fn reply_text(&self) -> Bytes {
        let mut text = b"ERR Protocol error: ".to_vec();
        text.extend_from_slice(&self.detail);
        Bytes::from(text)
    }

    /// The text after `Protocol error: `, e.g. `invalid multibulk length`.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mock_redis::__private::parser::RequestParser;
    /// let mut buf = BytesMut::from(&b"*x\r\n"[..]);
    /// let err = RequestParser::new().parse(&mut buf, false).unwrap_err();
    /// assert_eq!(err.detail(), "invalid multibulk length");
    /// ```
    pub fn detail(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.detail)
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.detail())
    }
}

impl std::error::Error for ProtocolError {}

/// An incremental parser of client requests, one per connection.
///
/// Feed it the connection's read buffer; it consumes complete requests from
/// the front and keeps partial multibulk state between calls, so a pipeline
/// split at any byte boundary yields the same requests.
///
/// ```
/// use bytes::BytesMut;
/// use mock_redis::__private::parser::RequestParser;
///
/// let mut parser = RequestParser::new();
/// let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING \"a b\"\r\n*1\r\n$4"[..]);
/// assert_eq!(parser.parse(&mut buf, false).unwrap().unwrap(), vec!["GET", "k"]);
/// assert_eq!(parser.parse(&mut buf, false).unwrap().unwrap(), vec!["PING", "a b"]);
/// assert_eq!(parser.parse(&mut buf, false).unwrap(), None); // needs more bytes
/// buf.extend_from_slice(b"\r\nPING\r\n");
/// assert_eq!(parser.parse(&mut buf, false).unwrap().unwrap(), vec!["PING"]);
/// ```
#[derive(Debug)]
pub struct RequestParser {
    argv: Vec<Bytes>,
    /// An emptied argument vector handed back by [`recycle`](RequestParser::recycle),
    /// reused for the next request instead of allocating one.
    spare: Vec<Bytes>,
    /// Arguments still expected in the current multibulk request; 0 when between requests.
    multibulk_len: i64,
    /// Length of the bulk argument being read, or -1 while its header is pending.
    bulk_len: i64,
    /// `proto-max-bulk-len`: longer bulk strings are a protocol error.
    max_bulk: i64,
}

impl RequestParser {
    /// A parser positioned at the start of a request.
    ///
    /// ```
    /// let parser = mock_redis::__private::parser::RequestParser::new();
    /// # let _ = parser;
    /// ```
    pub fn new() -> RequestParser {
        RequestParser {
            argv: Vec::new(),
            spare: Vec::new(),
            multibulk_len: 0,
            bulk_len: -1,
            max_bulk: MAX_BULK_LEN,
        }
    }

    /// Hands back the arguments of a request once it was answered: their
    /// vector is reused for the next request (a small one only, so a huge
    /// MSET does not keep its vector for the connection's lifetime).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mock_redis::__private::parser::RequestParser;
    /// let mut parser = RequestParser::new();
    /// let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n"[..]);
    /// let args = parser.parse(&mut buf, false).unwrap().unwrap();
    /// parser.recycle(args);
    /// assert_eq!(parser.parse(&mut buf, false).unwrap().unwrap(), vec!["PING"]);
    /// ```
    pub fn recycle(&mut self, mut args: Vec<Bytes>) {
        if args.capacity() <= RECYCLED_ARGV_MAX {
            args.clear();
            self.spare = args;
        }
    }

    /// Sets `proto-max-bulk-len`, the longest bulk string a request may
    /// carry (512 MB unless changed): a longer one is `invalid bulk
    /// length`, as in Redis, which reads the live value for each request.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mock_redis::__private::parser::RequestParser;
    ///
    /// let mut parser = RequestParser::new();
    /// parser.set_max_bulk_len(1024 * 1024);
    /// let mut buf = BytesMut::from(&b"*1\r\n$2000000\r\n"[..]);
    /// assert_eq!(parser.parse(&mut buf, false).unwrap_err().detail(), "invalid bulk length");
    /// ```
    pub fn set_max_bulk_len(&mut self, n: i64) {
        self.max_bulk = n;
    }

    /// Parses the next request from the front of `buf`.
    ///
    /// Returns `Ok(Some(argv))` for a complete request (an empty `argv` for
    /// an empty line or `*0`, which Redis skips without replying), `Ok(None)`
    /// when more bytes are needed, and the protocol error Redis would send
    /// otherwise. `auth_required` applies Redis's limits for clients that have
    /// not authenticated yet.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mock_redis::__private::parser::RequestParser;
    /// let mut buf = BytesMut::from(&b"*11\r\n"[..]);
    /// let err = RequestParser::new().parse(&mut buf, true).unwrap_err();
    /// assert_eq!(err.detail(), "unauthenticated multibulk length");
    /// ```
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        auth_required: bool,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if self.multibulk_len == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                return parse_inline(buf);
            }
        }
        // Lines are consumed by moving `pos`, and the buffer is advanced
        // once on the way out (advancing a `BytesMut` per line cost more
        // than the parsing).
        let mut pos = 0;
        let parsed = self.parse_multibulk(buf, &mut pos, auth_required);
        buf.advance(pos);
        parsed
    }

    /// The multibulk part of [`parse`](RequestParser::parse), reading from
    /// `buf[*pos..]` and moving `pos` past what it consumed.
    fn parse_multibulk(
        &mut self,
        buf: &mut BytesMut,
        pos: &mut usize,
        auth_required: bool,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if self.multibulk_len == 0 {
            // The multibulk count line.
            let rest = &buf[*pos..];
            let Some(cr) = find_cr(rest) else {
                if rest.len() > INLINE_MAX_SIZE {
                    return Err(ProtocolError::new("too big mbulk count string"));
                }
                return Ok(None);
            };
            if cr + 2 > rest.len() {
                return Ok(None);
            }
            let count = match string2ll(&rest[1..cr]) {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(ProtocolError::new("invalid multibulk length")),
            };
            if count > UNAUTHENTICATED_MAX_MULTIBULK && auth_required {
                return Err(ProtocolError::new("unauthenticated multibulk length"));
            }
            // Redis skips two bytes after '\r' without checking the second.
            *pos += cr + 2;
            if count <= 0 {
                return Ok(Some(Vec::new()));
            }
            self.multibulk_len = count;
            self.argv = std::mem::take(&mut self.spare);
            self.argv.reserve(count.min(1024) as usize);
        }

        while self.multibulk_len > 0 {
            if self.bulk_len == -1 {
                let rest = &buf[*pos..];
                let Some(cr) = find_cr(rest) else {
                    if rest.len() > INLINE_MAX_SIZE {
                        return Err(ProtocolError::new("too big bulk count string"));
                    }
                    return Ok(None);
                };
                if cr + 2 > rest.len() {
                    return Ok(None);
                }
                if rest[0] != b'$' {
                    let got = match rest[0] {
                        b'\r' | b'\n' => b' ',
                        other => other,
                    };
                    let mut detail = b"expected '$', got '".to_vec();
                    detail.extend_from_slice(&[got, b'\'']);
                    return Err(ProtocolError::new(detail));
                }
                let len = match string2ll(&rest[1..cr]) {
                    Some(n) if (0..=self.max_bulk).contains(&n) => n,
                    _ => return Err(ProtocolError::new("invalid bulk length")),
                };
                if len > UNAUTHENTICATED_MAX_BULK && auth_required {
                    return Err(ProtocolError::new("unauthenticated bulk length"));
                }
                *pos += cr + 2;
                self.bulk_len = len;
                if len as usize > buf.capacity() - *pos {
                    // Like Redis, make room for a big argument in one
                    // allocation (what was consumed goes first).
                    buf.advance(std::mem::take(pos));
                    buf.reserve(len as usize + 2 - buf.len().min(len as usize + 2));
                }
            }
            let len = self.bulk_len as usize;
            if buf.len() - *pos < len + 2 {
                return Ok(None);
            }
            // Small arguments are copied out: a slice of the read buffer
            // would pin the whole buffer for as long as a stored key or
            // value lives, and every clone would touch its shared counter.
            if len <= COPY_ARG_MAX {
                self.argv
                    .push(Bytes::copy_from_slice(&buf[*pos..*pos + len]));
                *pos += len + 2;
            } else {
                buf.advance(std::mem::take(pos));
                self.argv.push(buf.split_to(len).freeze());
                *pos = 2;
            }
            self.bulk_len = -1;
            self.multibulk_len -= 1;
        }
        Ok(Some(std::mem::take(&mut self.argv)))
    }
}

impl Default for RequestParser {
    /// The same as [`RequestParser::new`]: positioned at the start of a request.
    fn default() -> RequestParser {
        RequestParser::new()
    }
}

/// Position of the first `\r`, looking no further than the first NUL byte,
/// as `strchr` on Redis's NUL-terminated query buffer does.
fn find_cr(buf: &[u8]) -> Option<usize> {
    // Most lines are short headers (`$3`, `*2`): a plain loop finds their
    // end sooner than the vectorised search gets going.
    const SHORT: usize = 16;
    for (i, &b) in buf.iter().take(SHORT).enumerate() {
        match b {
            b'\r' => return Some(i),
            0 => return None,
            _ => {}
        }
    }
    let rest = buf.get(SHORT..)?;
    memchr::memchr2(b'\r', 0, rest)
        .filter(|&i| rest[i] == b'\r')
        .map(|i| i + SHORT)
}

fn parse_inline(buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
    // Redis looks for the newline with `strchr` on its NUL-terminated query
    // buffer: a NUL before the first newline hides it, so the request stays
    // incomplete (until the buffer passes the inline limit) and nothing
    // after it runs.
    let newline = memchr::memchr2(b'\n', 0, buf).filter(|&i| buf[i] == b'\n');
    let Some(newline) = newline else {
        if buf.len() > INLINE_MAX_SIZE {
            return Err(ProtocolError::new("too big inline request"));
        }
        return Ok(None);
    };
    let mut end = newline;
    if end > 0 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    let line = &buf[..end];
    let Some(args) = split_args(line) else {
        return Err(ProtocolError::new("unbalanced quotes in request"));
    };
    buf.advance(newline + 1);
    Ok(Some(args))
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}
/// Splits a line into arguments the way Redis's `sdssplitargs` does (and so
/// redis-cli): whitespace separates words, `"..."` understands `\n`, `\r`,
/// `\t`, `\b`, `\a` and `\xHH` escapes, `'...'` only `\'`, and a closing quote
/// must be followed by whitespace or the end. Returns `None` for unbalanced
/// quotes. The line ends at its first NUL byte, as the C string does.
///
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Bytes>> {
    let line = match memchr(0, line) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let mut args = Vec::new();
    let mut p = 0;
    let at = |i: usize| line.get(i).copied();
    loop {
        while at(p).is_some_and(is_c_space) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            let c = at(p);
            if in_dq {
                match c {
                    None => return None,
                    Some(b'\\')
                        if at(p + 1) == Some(b'x')
                            && at(p + 2).is_some_and(|b| b.is_ascii_hexdigit())
                            && at(p + 3).is_some_and(|b| b.is_ascii_hexdigit()) =>
                    {
                        current.push(hex(line[p + 2]) * 16 + hex(line[p + 3]));
                        p += 3;
                    }
                    Some(b'\\') if at(p + 1).is_some() => {
                        p += 1;
                        current.push(match line[p] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if at(p + 1).is_some_and(|b| !is_c_space(b)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_sq {
                match c {
                    None => return None,
                    Some(b'\\') if at(p + 1) == Some(b'\'') => {
                        p += 1;
                        current.push(b'\'');
                    }
                    Some(b'\'') => {
                        if at(p + 1).is_some_and(|b| !is_c_space(b)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match c {
                    None | Some(b' ' | b'\n' | b'\r' | b'\t') => break,
                    Some(b'"') => in_dq = true,
                    Some(b'\'') => in_sq = true,
                    Some(other) => current.push(other),
                }
            }
            p += 1;
        }
        args.push(Bytes::from(current));
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// Redis's `string2ll`: a strict base-10 `i64` with no sign other than a
/// leading `-`, no leading zeros, no spaces, at most 20 characters.
pub(crate) fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(argv) = parser.parse(&mut buf, false)? {
            out.push(argv);
        }
        Ok(out)
    }

    #[test]
    fn find_cr_stops_at_the_first_cr_or_nul_at_any_length() {
        let reference = |buf: &[u8]| memchr::memchr2(b'\r', 0, buf).filter(|&i| buf[i] == b'\r');
        for len in 0..40 {
            for at in 0..len {
                for (mark, other) in [
                    (b'\r', None),
                    (0, None),
                    (b'\r', Some(0u8)),
                    (0, Some(b'\r')),
                ] {
                    let mut buf = vec![b'7'; len];
                    buf[at] = mark;
                    if let Some(o) = other {
                        if at + 1 < len {
                            buf[at + 1] = o;
                        }
                    }
                    assert_eq!(find_cr(&buf), reference(&buf), "{buf:?}");
                }
            }
            assert_eq!(find_cr(&vec![b'x'; len]), None);
        }
    }

    #[test]
    fn bulk_terminator_is_not_checked() {
        // Redis skips the two bytes after bulk data without looking at them.
        let got = parse_all(b"*1\r\n$4\r\nPINGxx").unwrap();
        assert_eq!(got, vec![vec![Bytes::from_static(b"PING")]]);
    }

    #[test]
    fn a_nul_hides_the_newline_of_an_inline_request() {
        // Redis's strchr stops at the NUL: the request never completes.
        assert_eq!(
            parse_all(b"PING\r\nSET a\0b c\r\nPING\r\n").unwrap().len(),
            1
        );
        assert!(parse_all(b"\0PING\r\n").unwrap().is_empty());
        // ... until the buffer passes the inline limit.
        let mut big = b"SET a\0b c\r\n".to_vec();
        big.resize(INLINE_MAX_SIZE + 1, b'x');
        assert_eq!(
            parse_all(&big).unwrap_err().detail(),
            "too big inline request"
        );
        // Quoted text ends at the NUL too (an unbalanced quote).
        assert_eq!(
            parse_all(b"SET \"a\0\" c\r\n").unwrap(),
            Vec::<Vec<Bytes>>::new()
        );
    }

    #[test]
    fn empty_requests() {
        let got = parse_all(b"\r\n*0\r\n*-1\r\n   \n").unwrap();
        assert!(got.iter().all(|a| a.is_empty()));
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn errors() {
        let e = |i: &[u8]| parse_all(i).unwrap_err().detail().to_string();
        assert_eq!(e(b"*2147483648\r\n"), "invalid multibulk length");
        assert_eq!(e(b"*1\r\n$-1\r\n"), "invalid bulk length");
        assert_eq!(e(b"*1\r\n$536870913\r\n"), "invalid bulk length");
        assert_eq!(e(b"*1\r\n\r\n"), "expected '$', got ' '");
        assert_eq!(e(b"GET 'a\r\n"), "unbalanced quotes in request");
        assert_eq!(e(b"GET \"a\"b\r\n"), "unbalanced quotes in request");
        assert_eq!(
            e(&vec![b'a'; INLINE_MAX_SIZE + 1]),
            "too big inline request"
        );
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; INLINE_MAX_SIZE + 1]);
        assert_eq!(e(&big), "too big mbulk count string");
    }

    #[test]
    fn a_default_parser_is_a_new_one() {
        // A derived `Default` once set `bulk_len` to 0 instead of -1 and
        // rejected the first bulk header.
        let mut parser = RequestParser::default();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"[..]);
        assert_eq!(
            parser.parse(&mut buf, false).unwrap().unwrap(),
            vec!["GET", "k"]
        );
        assert!(buf.is_empty());
        let (new, default) = (RequestParser::new(), RequestParser::default());
        assert_eq!(format!("{default:?}"), format!("{new:?}"));
    }

    #[test]
    fn strict_integers() {
        assert_eq!(string2ll(b"-12"), Some(-12));
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"007"), None);
        assert_eq!(string2ll(b"-0"), None);
        assert_eq!(string2ll(b"+1"), None);
        assert_eq!(string2ll(b" 1"), None);
        assert_eq!(string2ll(b""), None);
        assert_eq!(string2ll(b"9223372036854775808"), None);
        assert_eq!(string2ll(b"-9223372036854775809"), None);
    }

    #[test]
    fn quoting() {
        let args = split_args(br#"SET "a\x41\n" 'it\'s' plain"#).unwrap();
        assert_eq!(args, vec![&b"SET"[..], b"aA\n", b"it's", b"plain"]);
        assert!(split_args(br#"GET "open"#).is_none());
        assert_eq!(split_args(b"a\"b c\"d").map(|v| v.len()), None);
        assert_eq!(split_args(b"a\"b c\" d").unwrap(), vec![&b"ab c"[..], b"d"]);
        assert_eq!(split_args(b"\"\\xzz\"").unwrap(), vec![&b"xzz"[..]]);
        assert_eq!(split_args(b"a\0b c").unwrap(), vec![&b"a"[..]]);
        assert_eq!(split_args(b"''").unwrap(), vec![&b""[..]]);
    }
}
