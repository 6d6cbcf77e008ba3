//! Conversions into [`Reply`](crate::Reply) from other crates' value types.

#[cfg(any(feature = "mini-redis", feature = "redis"))]
use bytes::Bytes;

#[cfg(any(feature = "mini-redis", feature = "redis"))]
use crate::Reply;

#[cfg(feature = "mini-redis")]
impl From<mini_redis::Frame> for Reply {
    /// A mini-redis frame as a reply (feature `mini-redis`), so a mock can
    /// answer as the tokio tutorial's server does. Integers above
    /// `i64::MAX` become big numbers.
    ///
    /// A `Frame::Error(text)` goes out as a simple error, as
    /// [`Reply::error`] writes it: text that starts with an upper-case error
    /// code (`WRONGTYPE ...`, `LOADING ...`) is sent as it is, any other
    /// text gets `ERR ` in front. So the tutorial's
    /// `Frame::Error("unimplemented".into())` reaches the client as
    /// `-ERR unimplemented\r\n` (mini-redis's own server sends
    /// `-unimplemented\r\n`). Line breaks become spaces; RESP2 and RESP3
    /// connections get the same bytes.
    ///
    /// ```
    /// use mini_redis::Frame;
    /// use mock_redis::{Protocol, Reply};
    /// let unimplemented = Reply::from(Frame::Error("unimplemented".into()));
    /// assert_eq!(unimplemented.to_bytes(Protocol::Resp2), &b"-ERR unimplemented\r\n"[..]);
    /// assert_eq!(unimplemented.to_bytes(Protocol::Resp3), &b"-ERR unimplemented\r\n"[..]);
    /// let coded = Reply::from(Frame::Error("WRONGTYPE Operation against a key holding the wrong kind of value".into()));
    /// assert_eq!(
    ///     coded.to_bytes(Protocol::Resp2),
    ///     &b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"[..]
    /// );
    /// assert_eq!(Reply::from(Frame::Null), Reply::Nil);
    /// assert_eq!(Reply::from(Frame::Integer(3)), Reply::int(3));
    /// ```
    fn from(frame: mini_redis::Frame) -> Reply {
        use mini_redis::Frame;
        match frame {
            Frame::Simple(s) => Reply::Simple(Bytes::from(s)),
            // Errors keep their text; a code-less one gets `ERR` as Redis would write it.
            Frame::Error(e) => Reply::error(e),
            Frame::Integer(n) => match i64::try_from(n) {
                Ok(n) => Reply::Integer(n),
                Err(_) => Reply::BigNumber(Bytes::from(n.to_string())),
            },
            Frame::Bulk(b) => Reply::Bulk(b),
            Frame::Null => Reply::Nil,
            Frame::Array(items) => Reply::Array(items.into_iter().map(Reply::from).collect()),
        }
    }
}

#[cfg(feature = "redis")]
impl From<redis::Value> for Reply {
    /// A redis-rs value as a reply (feature `redis`), easing a move from
    /// `redis-test`'s `MockCmd`. A push keeps its kind as the first element.
    ///
    /// ```
    /// use mock_redis::Reply;
    /// use redis::Value;
    /// assert_eq!(Reply::from(Value::Okay), Reply::ok());
    /// assert_eq!(Reply::from(Value::BulkString(b"v".to_vec())), Reply::bulk("v"));
    /// assert_eq!(
    ///     Reply::from(Value::Array(vec![Value::Int(1), Value::Nil])),
    ///     Reply::array([Reply::int(1), Reply::Nil]),
    /// );
    /// ```
    fn from(value: redis::Value) -> Reply {
        use redis::{Value, VerbatimFormat};
        let pairs = |v: Vec<(Value, Value)>| -> Vec<(Reply, Reply)> {
            v.into_iter()
                .map(|(k, v)| (Reply::from(k), Reply::from(v)))
                .collect()
        };
        match value {
            Value::Nil => Reply::Nil,
            Value::Int(n) => Reply::Integer(n),
            Value::BulkString(b) => Reply::Bulk(Bytes::from(b)),
            Value::Array(items) => Reply::Array(items.into_iter().map(Reply::from).collect()),
            Value::SimpleString(s) => Reply::Simple(Bytes::from(s)),
            Value::Okay => Reply::ok(),
            Value::Map(m) => Reply::Map(pairs(m)),
            Value::Attribute { data, attributes } => Reply::Attribute {
                attributes: pairs(attributes),
                reply: Box::new(Reply::from(*data)),
            },
            Value::Set(items) => Reply::Set(items.into_iter().map(Reply::from).collect()),
            Value::Double(d) => Reply::Double(d),
            Value::Boolean(b) => Reply::Boolean(b),
            Value::VerbatimString { format, text } => {
                let format = match format {
                    VerbatimFormat::Markdown => *b"mkd",
                    VerbatimFormat::Text => *b"txt",
                    VerbatimFormat::Unknown(f) => {
                        let mut out = *b"txt";
                        for (o, b) in out.iter_mut().zip(f.bytes()) {
                            *o = b;
                        }
                        out
                    }
                    // `VerbatimFormat` is non-exhaustive.
                    _ => *b"txt",
                };
                Reply::Verbatim {
                    format,
                    text: Bytes::from(text),
                }
            }
            Value::BigNumber(n) => Reply::BigNumber(n.digits()),
            Value::Push { kind, data } => {
                let mut items = vec![Reply::bulk(kind.to_string())];
                items.extend(data.into_iter().map(Reply::from));
                Reply::Push(items)
            }
            Value::ServerError(e) => {
                let text = match e.details() {
                    Some(details) => format!("{} {details}", e.code()),
                    None => e.code().to_string(),
                };
                Reply::Error(Bytes::from(text.replace(['\r', '\n'], " ")))
            }
            // `redis::Value` is non-exhaustive.
            #[allow(unreachable_patterns)]
            other => Reply::Error(Bytes::from(format!(
                "ERR mock-redis: no reply for redis value {other:?}"
            ))),
        }
    }
}

/// The decimal digits of a redis-rs big number: a `BigInt` with redis-rs's
/// default `num-bigint` feature, the digits themselves without it.
#[cfg(feature = "redis")]
trait BigDigits {
    fn digits(self) -> Bytes;
}

#[cfg(feature = "redis")]
impl BigDigits for Vec<u8> {
    fn digits(self) -> Bytes {
        Bytes::from(self)
    }
}

#[cfg(feature = "redis")]
impl BigDigits for num_bigint::BigInt {
    fn digits(self) -> Bytes {
        Bytes::from(self.to_string())
    }
}
