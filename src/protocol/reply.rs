//! The reply value type and its RESP2 / RESP3 encoding.

use bytes::{BufMut, Bytes, BytesMut};

/// The wire protocol a connection speaks.
///
/// Every connection starts in [`Protocol::Resp2`]; `HELLO 3` switches it to
/// [`Protocol::Resp3`] and `HELLO 2` or `RESET` switch it back.
///
/// ```
/// use mock_redis::{Protocol, Reply};
/// assert_eq!(Reply::Nil.to_bytes(Protocol::Resp2), &b"$-1\r\n"[..]);
/// assert_eq!(Reply::Nil.to_bytes(Protocol::Resp3), &b"_\r\n"[..]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// RESP2, the protocol every connection starts with.
    #[default]
    Resp2,
    /// RESP3, selected with `HELLO 3`.
    Resp3,
}

impl Protocol {
    /// The protocol version number (`2` or `3`) as `HELLO` reports it.
    ///
    /// ```
    /// assert_eq!(mock_redis::Protocol::Resp3.version(), 3);
    /// ```
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// A reply the server writes to a client: every RESP2 and RESP3 type.
///
/// A `Reply` is protocol independent. It is encoded per connection, in the
/// shape Redis itself uses for each type on RESP2 connections: a map becomes
/// a flat array, a set an array, a double a bulk string, a boolean the
/// integer `1` or `0`, a verbatim string a bulk string, and both nulls keep
/// their RESP2 spelling (`$-1` for [`Reply::Nil`], `*-1` for
/// [`Reply::NilArray`]).
///
/// ```
/// use mock_redis::{Protocol, Reply};
///
/// let reply = Reply::map([(Reply::bulk("a"), Reply::Double(1.5))]);
/// assert_eq!(reply.to_bytes(Protocol::Resp3), &b"%1\r\n$1\r\na\r\n,1.5\r\n"[..]);
/// assert_eq!(reply.to_bytes(Protocol::Resp2), &b"*2\r\n$1\r\na\r\n$3\r\n1.5\r\n"[..]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A simple string: `+OK`.
    Simple(Bytes),
    /// An error, without the leading `-`: `ERR unknown command`, `WRONGTYPE ...`.
    Error(Bytes),
    /// An integer: `:42`.
    Integer(i64),
    /// A bulk string: `$5\r\nhello`.
    Bulk(Bytes),
    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// The null array: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    /// An array, possibly nested.
    Array(Vec<Reply>),
    /// A map (RESP3 `%`); a flat array of keys and values in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A set (RESP3 `~`); an array in RESP2.
    Set(Vec<Reply>),
    /// A double (RESP3 `,`); a bulk string in RESP2, formatted as Redis 7.0 does (`%.17g`).
    Double(f64),
    /// A double written as the given text (RESP3 `,`; a bulk string in
    /// RESP2), for doubles Redis formats its own way: GEOPOS and
    /// `WITHCOORD` coordinates are `%.17Lf` without trailing zeros.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// let r = Reply::DoubleText("13.36138933897018433".into());
    /// assert_eq!(r.to_bytes(Protocol::Resp3), &b",13.36138933897018433\r\n"[..]);
    /// assert_eq!(r.to_bytes(Protocol::Resp2), &b"$20\r\n13.36138933897018433\r\n"[..]);
    /// ```
    DoubleText(Bytes),
    /// A boolean (RESP3 `#`); the integer `1` or `0` in RESP2.
    Boolean(bool),
    /// A big number (RESP3 `(`), given as its decimal digits; a bulk string in RESP2.
    BigNumber(Bytes),
    /// A verbatim string (RESP3 `=`) with its three-letter format; a bulk string in RESP2.
    Verbatim {
        /// The format, `txt` or `mkd`.
        format: [u8; 3],
        /// The text.
        text: Bytes,
    },
    /// An out-of-band push (RESP3 `>`); an array in RESP2.
    Push(Vec<Reply>),
    /// A reply preceded by attributes (RESP3 `|`); only the reply is written in RESP2.
    Attribute {
        /// The attribute map.
        attributes: Vec<(Reply, Reply)>,
        /// The reply the attributes describe.
        reply: Box<Reply>,
    },
    /// A long array of bulk strings (and scores) in one buffer: what the
    /// engine answers where a client's count sets the length of the reply
    /// (`SRANDMEMBER s -5000000`). Written exactly as
    /// [`PackedArray::to_reply`], the equivalent [`Reply::Array`]; compare
    /// or inspect it through that.
    Packed(PackedArray),
}

impl Reply {
    /// `+OK`.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// assert_eq!(Reply::ok().to_bytes(Protocol::Resp2), &b"+OK\r\n"[..]);
    /// ```
    pub fn ok() -> Reply {
        Reply::Simple(Bytes::from_static(b"OK"))
    }

    /// A simple string (`+...`).
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// assert_eq!(Reply::simple("PONG").to_bytes(Protocol::Resp2), &b"+PONG\r\n"[..]);
    /// ```
    pub fn simple(s: impl Into<Bytes>) -> Reply {
        Reply::Simple(s.into())
    }

    /// A bulk string.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// assert_eq!(Reply::bulk("alice").to_bytes(Protocol::Resp2), &b"$5\r\nalice\r\n"[..]);
    /// ```
    pub fn bulk(s: impl Into<Bytes>) -> Reply {
        Reply::Bulk(s.into())
    }

    /// The null reply (`$-1` in RESP2, `_` in RESP3), what `GET` answers for a missing key.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// assert_eq!(Reply::nil().to_bytes(Protocol::Resp2), &b"$-1\r\n"[..]);
    /// ```
    pub fn nil() -> Reply {
        Reply::Nil
    }

    /// An integer.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// assert_eq!(Reply::int(-3).to_bytes(Protocol::Resp2), &b":-3\r\n"[..]);
    /// ```
    pub fn int(n: i64) -> Reply {
        Reply::Integer(n)
    }

    /// An error. Give the full text, error code first, without the leading `-`;
    /// text without an upper-case code gets `ERR ` in front, as Redis does.
    /// Line breaks are replaced by spaces so the reply stays one line.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// assert_eq!(Reply::error("WRONGTYPE nope").to_bytes(Protocol::Resp2), &b"-WRONGTYPE nope\r\n"[..]);
    /// assert_eq!(Reply::error("oops").to_bytes(Protocol::Resp2), &b"-ERR oops\r\n"[..]);
    /// ```
    pub fn error(msg: impl AsRef<str>) -> Reply {
        let msg = msg.as_ref();
        let msg = msg.strip_prefix('-').unwrap_or(msg);
        let code_len = msg.find(' ').unwrap_or(msg.len());
        let has_code = code_len > 0
            && msg[..code_len]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        let text = if has_code {
            msg.to_string()
        } else {
            format!("ERR {msg}")
        };
        Reply::Error(Bytes::from(text.replace(['\r', '\n'], " ")))
    }

    /// An array of replies.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// let r = Reply::array([Reply::bulk("a"), Reply::int(1)]);
    /// assert_eq!(r.to_bytes(Protocol::Resp2), &b"*2\r\n$1\r\na\r\n:1\r\n"[..]);
    /// ```
    pub fn array(items: impl IntoIterator<Item = Reply>) -> Reply {
        Reply::Array(items.into_iter().collect())
    }

    /// An array of bulk strings.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// let r = Reply::bulks(["a", "b"]);
    /// assert_eq!(r.to_bytes(Protocol::Resp2), &b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"[..]);
    /// ```
    pub fn bulks<T: Into<Bytes>>(items: impl IntoIterator<Item = T>) -> Reply {
        Reply::Array(items.into_iter().map(|s| Reply::Bulk(s.into())).collect())
    }

    /// A map of replies (a flat array on RESP2 connections).
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// let r = Reply::map([(Reply::bulk("k"), Reply::int(1))]);
    /// assert_eq!(r.to_bytes(Protocol::Resp2), &b"*2\r\n$1\r\nk\r\n:1\r\n"[..]);
    /// ```
    pub fn map(items: impl IntoIterator<Item = (Reply, Reply)>) -> Reply {
        Reply::Map(items.into_iter().collect())
    }

    /// A set of replies (an array on RESP2 connections).
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// let r = Reply::set([Reply::bulk("m")]);
    /// assert_eq!(r.to_bytes(Protocol::Resp3), &b"~1\r\n$1\r\nm\r\n"[..]);
    /// ```
    pub fn set(items: impl IntoIterator<Item = Reply>) -> Reply {
        Reply::Set(items.into_iter().collect())
    }

    /// Whether this reply is an error.
    ///
    /// ```
    /// assert!(mock_redis::Reply::error("ERR x").is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Encodes the reply for a connection speaking `proto`.
    ///
    /// ```
    /// use mock_redis::{Protocol, Reply};
    /// assert_eq!(Reply::Boolean(true).to_bytes(Protocol::Resp2), &b":1\r\n"[..]);
    /// assert_eq!(Reply::Boolean(true).to_bytes(Protocol::Resp3), &b"#t\r\n"[..]);
    /// ```
    pub fn to_bytes(&self, proto: Protocol) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(proto, &mut out);
        out.freeze()
    }

    /// Appends the encoding of the reply for a connection speaking `proto` to `out`.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use mock_redis::{Protocol, Reply};
    /// let mut out = BytesMut::new();
    /// Reply::int(1).encode(Protocol::Resp2, &mut out);
    /// Reply::ok().encode(Protocol::Resp2, &mut out);
    /// assert_eq!(&out[..], b":1\r\n+OK\r\n");
    /// ```
    pub fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        let resp3 = proto == Protocol::Resp3;
        match self {
            Reply::Simple(s) => line(out, b'+', s),
            Reply::Error(e) => line(out, b'-', e),
            Reply::Integer(n) => int_line(out, b':', *n),
            Reply::Bulk(b) => bulk(out, b),
            Reply::Nil if resp3 => out.put_slice(b"_\r\n"),
            Reply::Nil => out.put_slice(b"$-1\r\n"),
            Reply::NilArray if resp3 => out.put_slice(b"_\r\n"),
            Reply::NilArray => out.put_slice(b"*-1\r\n"),
            Reply::Array(items) => aggregate(out, b'*', items, proto),
            Reply::Set(items) => aggregate(out, if resp3 { b'~' } else { b'*' }, items, proto),
            Reply::Push(items) => aggregate(out, if resp3 { b'>' } else { b'*' }, items, proto),
            Reply::Map(pairs) => {
                if resp3 {
                    int_line(out, b'%', pairs.len() as i64);
                } else {
                    int_line(out, b'*', 2 * pairs.len() as i64);
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Reply::Double(d) => {
                let text = format_double(*d);
                if resp3 {
                    line(out, b',', text.as_bytes());
                } else {
                    bulk(out, text.as_bytes());
                }
            }
            Reply::DoubleText(t) if resp3 => line(out, b',', t),
            Reply::DoubleText(t) => bulk(out, t),
            Reply::Boolean(b) if resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Reply::Boolean(b) => int_line(out, b':', *b as i64),
            Reply::BigNumber(n) if resp3 => line(out, b'(', n),
            Reply::BigNumber(n) => bulk(out, n),
            Reply::Verbatim { format, text } if resp3 => {
                int_line(out, b'=', text.len() as i64 + 4);
                out.put_slice(format);
                out.put_u8(b':');
                out.put_slice(text);
                out.put_slice(b"\r\n");
            }
            Reply::Verbatim { text, .. } => bulk(out, text),
            Reply::Packed(p) => p.encode(proto, out),
            Reply::Attribute { attributes, reply } => {
                if resp3 {
                    int_line(out, b'|', attributes.len() as i64);
                    for (k, v) in attributes {
                        k.encode(proto, out);
                        v.encode(proto, out);
                    }
                }
                reply.encode(proto, out);
            }
        }
    }
}

impl From<&str> for Reply {
    /// A bulk string.
    fn from(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for Reply {
    /// A bulk string.
    fn from(s: String) -> Reply {
        Reply::Bulk(Bytes::from(s))
    }
}

impl From<i64> for Reply {
    /// An integer.
    fn from(n: i64) -> Reply {
        Reply::Integer(n)
    }
}

impl<T: Into<Reply>> From<Option<T>> for Reply {
    /// `None` is the null bulk string.
    fn from(v: Option<T>) -> Reply {
        v.map_or(Reply::Nil, Into::into)
    }
}

impl<T: Into<Reply>> From<Vec<T>> for Reply {
    /// An array.
    fn from(v: Vec<T>) -> Reply {
        Reply::Array(v.into_iter().map(Into::into).collect())
    }
}

fn line(out: &mut BytesMut, prefix: u8, body: &[u8]) {
    out.reserve(body.len() + 3);
    out.put_u8(prefix);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn int_line(out: &mut BytesMut, prefix: u8, n: i64) {
    let mut buf = itoa::Buffer::new();
    line(out, prefix, buf.format(n).as_bytes());
}

fn bulk(out: &mut BytesMut, body: &[u8]) {
    let mut buf = itoa::Buffer::new();
    let len = buf.format(body.len());
    out.reserve(body.len() + len.len() + 5);
    out.put_u8(b'$');
    out.put_slice(len.as_bytes());
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

fn aggregate(out: &mut BytesMut, prefix: u8, items: &[Reply], proto: Protocol) {
    int_line(out, prefix, items.len() as i64);
    for item in items {
        item.encode(proto, out);
    }
}

/// Formats a double the way Redis 7.0's `addReplyDouble` does: `inf`, `-inf`,
/// `nan`, otherwise C's `%.17g`.
///
/// ```
/// use mock_redis::protocol::format_double;
/// assert_eq!(format_double(1.5), "1.5");
/// assert_eq!(format_double(0.1), "0.10000000000000001");
/// assert_eq!(format_double(1e20), "1e+20");
/// assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
/// ```
pub fn format_double(d: f64) -> String {
    format_g(d, 17)
}

/// C's `printf("%.<precision>g", d)`, with `inf`/`-inf`/`nan` spelled as glibc does.
pub(crate) fn format_g(d: f64, precision: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let p = precision.max(1);
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Scientific form with p significant digits gives the exponent after rounding.
    let sci = format!("{:.*e}", p - 1, d);
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    if exp < -4 || exp >= p as i32 {
        let mantissa = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_fraction(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)]
    fn g_formatting_matches_c() {
        assert_eq!(format_g(3.0, 17), "3");
        assert_eq!(format_g(-2.5, 17), "-2.5");
        assert_eq!(format_g(1e-5, 17), "1.0000000000000001e-05");
        assert_eq!(format_g(123456789012345678.0, 17), "1.2345678901234568e+17");
        assert_eq!(format_g(0.0001, 17), "0.0001");
        assert_eq!(format_g(10.5, 17), "10.5");
        assert_eq!(format_g(1.23456, 5), "1.2346");
    }

    #[test]
    fn resp2_shapes() {
        let r = Reply::Push(vec![Reply::bulk("message")]);
        assert_eq!(r.to_bytes(Protocol::Resp2), &b"*1\r\n$7\r\nmessage\r\n"[..]);
        assert_eq!(r.to_bytes(Protocol::Resp3), &b">1\r\n$7\r\nmessage\r\n"[..]);
        let v = Reply::Verbatim {
            format: *b"txt",
            text: Bytes::from_static(b"hi"),
        };
        assert_eq!(v.to_bytes(Protocol::Resp3), &b"=6\r\ntxt:hi\r\n"[..]);
        assert_eq!(v.to_bytes(Protocol::Resp2), &b"$2\r\nhi\r\n"[..]);
        assert_eq!(Reply::NilArray.to_bytes(Protocol::Resp2), &b"*-1\r\n"[..]);
        assert_eq!(
            Reply::Double(f64::INFINITY).to_bytes(Protocol::Resp3),
            &b",inf\r\n"[..]
        );
        let a = Reply::Attribute {
            attributes: vec![(Reply::bulk("a"), Reply::int(1))],
            reply: Box::new(Reply::ok()),
        };
        assert_eq!(a.to_bytes(Protocol::Resp2), &b"+OK\r\n"[..]);
        assert_eq!(
            a.to_bytes(Protocol::Resp3),
            &b"|1\r\n$1\r\na\r\n:1\r\n+OK\r\n"[..]
        );
    }
}

// --- PackedArray -------------------------------------------------------

/// Replies of more picks than this are packed (fewer stay plain trees).
pub(crate) const PACK_OVER: u64 = 1024;

/// Most elements a packed array reserves room for up front (the rest grow
/// as they come: the allocation rule in `engine/mod.rs`).
const RESERVE_CAP: usize = 1 << 20;

/// How the elements of a [`PackedArray`] are laid out in the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `[item, item, ...]`.
    Bulks,
    /// `[[item, item], ...]`: items in twos (HRANDFIELD ... WITHVALUES on RESP3).
    BulkPairs,
    /// `[item, score, item, score, ...]` (ZRANDMEMBER ... WITHSCORES on RESP2).
    Scored,
    /// `[[item, score], ...]` (ZRANDMEMBER ... WITHSCORES on RESP3).
    ScoredPairs,
}

/// An array reply of bulk strings, optionally with a double after each,
/// stored as one byte buffer plus the end offset of each string (and the
/// scores): about 8 bytes per element on top of its text, where a
/// [`Reply::Array`] of [`Reply::Bulk`] costs 40 and more.
///
/// The engine answers with one ([`Reply::Packed`]) where a client's count
/// sets the reply's length: SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a
/// negative count of more than a thousand picks. It is written exactly as
/// the equivalent tree, [`PackedArray::to_reply`], in both protocols.
///
/// ```
/// use mock_redis::{Protocol, Reply};
/// fn expand(reply: &Reply) -> Reply {
///     match reply {
///         Reply::Packed(p) => p.to_reply(),
///         other => other.clone(),
///     }
/// }
/// assert_eq!(expand(&Reply::int(1)), Reply::int(1));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PackedArray {
    shape: Shape,
    data: Vec<u8>,
    ends: Vec<usize>,
    scores: Vec<f64>,
}

impl PackedArray {
    fn new(shape: Shape) -> PackedArray {
        PackedArray {
            shape,
            data: Vec::new(),
            ends: Vec::new(),
            scores: Vec::new(),
        }
    }

    /// An empty array of bulk strings.
    pub(crate) fn bulks() -> PackedArray {
        PackedArray::new(Shape::Bulks)
    }

    /// An empty array of `[field, value]` pairs in RESP3 (`pairs`), or of
    /// fields and values in turn.
    pub(crate) fn bulk_pairs(pairs: bool) -> PackedArray {
        PackedArray::new(if pairs {
            Shape::BulkPairs
        } else {
            Shape::Bulks
        })
    }

    /// An empty array of members with scores: `[member, score]` pairs in
    /// RESP3 (`pairs`), members and scores in turn otherwise.
    pub(crate) fn scored(pairs: bool) -> PackedArray {
        PackedArray::new(if pairs {
            Shape::ScoredPairs
        } else {
            Shape::Scored
        })
    }

    /// Reserves room for `n` more strings of `len` bytes each (at most
    /// for a million: past that, it grows as items come).
    pub(crate) fn reserve(&mut self, n: u64, len: usize) {
        let n = n.min(RESERVE_CAP as u64) as usize;
        self.ends.reserve(n);
        self.data
            .reserve(n.saturating_mul(len).min(RESERVE_CAP * 16));
        if !matches!(self.shape, Shape::Bulks | Shape::BulkPairs) {
            self.scores.reserve(n);
        }
    }

    /// Appends a string.
    pub(crate) fn push(&mut self, item: &[u8]) {
        self.data.extend_from_slice(item);
        self.ends.push(self.data.len());
    }

    /// Appends a member and its score (arrays made with [`PackedArray::scored`]).
    pub(crate) fn push_scored(&mut self, item: &[u8], score: f64) {
        self.push(item);
        self.scores.push(score);
    }

    /// The strings, in order.
    fn items(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let item = &self.data[start..end];
            start = end;
            item
        })
    }

    /// The number of elements of the top-level array.
    ///
    /// ```
    /// # use mock_redis::Reply;
    /// let n = match Reply::int(1) { Reply::Packed(p) => p.len(), _ => 0 };
    /// assert_eq!(n, 0);
    /// ```
    pub fn len(&self) -> usize {
        match self.shape {
            Shape::Bulks => self.ends.len(),
            Shape::BulkPairs => self.ends.len() / 2,
            Shape::Scored => self.ends.len() * 2,
            Shape::ScoredPairs => self.ends.len(),
        }
    }

    /// Whether the array is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The same reply as a tree of [`Reply`] values (what the engine
    /// answered before packing: bulk strings, and [`Reply::Double`] scores).
    pub fn to_reply(&self) -> Reply {
        let bulk = |b: &[u8]| Reply::Bulk(bytes::Bytes::copy_from_slice(b));
        let items = self.items();
        Reply::Array(match self.shape {
            Shape::Bulks => items.map(bulk).collect(),
            Shape::BulkPairs => {
                let v: Vec<&[u8]> = items.collect();
                v.chunks(2)
                    .map(|p| Reply::Array(p.iter().map(|b| bulk(b)).collect()))
                    .collect()
            }
            Shape::Scored => items
                .zip(&self.scores)
                .flat_map(|(m, s)| [bulk(m), Reply::Double(*s)])
                .collect(),
            Shape::ScoredPairs => items
                .zip(&self.scores)
                .map(|(m, s)| Reply::Array(vec![bulk(m), Reply::Double(*s)]))
                .collect(),
        })
    }

    /// Writes the array as [`Reply::encode`] writes [`PackedArray::to_reply`].
    pub(crate) fn encode(&self, proto: Protocol, out: &mut BytesMut) {
        let resp3 = proto == Protocol::Resp3;
        int_line(out, b'*', self.len() as i64);
        let mut text = String::new();
        let mut score = |out: &mut BytesMut, s: f64| {
            text.clear();
            text.push_str(&format_double(s));
            if resp3 {
                out.reserve(text.len() + 3);
                out.put_u8(b',');
                out.put_slice(text.as_bytes());
                out.put_slice(b"\r\n");
            } else {
                bulk(out, text.as_bytes());
            }
        };
        match self.shape {
            Shape::Bulks => self.items().for_each(|b| bulk(out, b)),
            Shape::BulkPairs => {
                for (i, b) in self.items().enumerate() {
                    if i % 2 == 0 {
                        out.put_slice(b"*2\r\n");
                    }
                    bulk(out, b);
                }
            }
            Shape::Scored => {
                for (m, s) in self.items().zip(&self.scores) {
                    bulk(out, m);
                    score(out, *s);
                }
            }
            Shape::ScoredPairs => {
                for (m, s) in self.items().zip(&self.scores) {
                    out.put_slice(b"*2\r\n");
                    bulk(out, m);
                    score(out, *s);
                }
            }
        }
    }
}

#[cfg(test)]
mod packed_tests {
    use super::*;

    /// Every shape writes the same bytes as its tree, in both protocols.
    #[test]
    fn packed_arrays_encode_as_their_trees() {
        let items: [&[u8]; 4] = [b"a", b"", b"member", b"\r\n"];
        let scores = [1.5, -0.0, f64::INFINITY, 3.0];
        let mut arrays = vec![PackedArray::bulks()];
        for pairs in [false, true] {
            arrays.push(PackedArray::bulk_pairs(pairs));
            arrays.push(PackedArray::scored(pairs));
        }
        for mut a in arrays {
            for (m, s) in items.iter().zip(scores) {
                if matches!(a.shape, Shape::Scored | Shape::ScoredPairs) {
                    a.push_scored(m, s);
                } else {
                    a.push(m);
                }
            }
            for proto in [Protocol::Resp2, Protocol::Resp3] {
                let tree = a.to_reply();
                let Reply::Array(ref v) = tree else {
                    panic!("an array")
                };
                assert_eq!(v.len(), a.len());
                assert_eq!(
                    Reply::Packed(a.clone()).to_bytes(proto),
                    tree.to_bytes(proto),
                    "{:?} {proto:?}",
                    a.shape
                );
            }
        }
        assert!(PackedArray::bulks().is_empty());
    }
}
