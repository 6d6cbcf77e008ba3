//! The types the direct state API hands back: [`RedisString`] (a value,
//! field, member or key, as bytes that compare with `&str` and `&[u8]`) and
//! [`StateError`] (why a typed read or write was refused: WRONGTYPE, or the
//! error Redis answers).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::string::FromUtf8Error;

use super::super::listing::quote;

/// A Redis string as the state API returns it: binary-safe bytes that
/// compare directly with `&str`, `String`, `&[u8]`, `Vec<u8>` and byte
/// literals, print quoted as `redis-cli` does (`"v"`, `"\xff"`), and convert
/// into a `String` or a `Vec<u8>`.
///
/// ```
/// use mock_redis::RedisString;
/// let v = RedisString::from("alice");
/// assert_eq!(v, "alice");
/// assert_eq!(v, b"alice");
/// assert_eq!(format!("{v:?}"), r#""alice""#);
/// assert_eq!(v.into_string().unwrap(), "alice");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RedisString(Vec<u8>);

impl RedisString {
    /// The bytes.
    ///
    /// ```
    /// assert_eq!(mock_redis::RedisString::from("v").as_bytes(), b"v");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, when the bytes are UTF-8.
    ///
    /// ```
    /// use mock_redis::RedisString;
    /// assert_eq!(RedisString::from("v").as_str(), Some("v"));
    /// assert_eq!(RedisString::from(vec![0xff]).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The bytes, owned.
    ///
    /// ```
    /// assert_eq!(mock_redis::RedisString::from("v").into_bytes(), b"v".to_vec());
    /// ```
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The text, owned; an error when the bytes are not UTF-8.
    ///
    /// ```
    /// assert_eq!(mock_redis::RedisString::from("v").into_string().unwrap(), "v");
    /// ```
    pub fn into_string(self) -> Result<String, FromUtf8Error> {
        String::from_utf8(self.0)
    }

    /// The text with invalid UTF-8 replaced by `U+FFFD`.
    ///
    /// ```
    /// assert_eq!(mock_redis::RedisString::from(vec![b'a', 0xff]).to_string_lossy(), "a\u{fffd}");
    /// ```
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl fmt::Debug for RedisString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&quote(&self.0))
    }
}

/// The text, lossily (see [`RedisString::to_string_lossy`]), unquoted.
impl fmt::Display for RedisString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl Deref for RedisString {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for RedisString {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for RedisString {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for RedisString {
    fn from(s: &str) -> RedisString {
        RedisString(s.as_bytes().to_vec())
    }
}

impl From<String> for RedisString {
    fn from(s: String) -> RedisString {
        RedisString(s.into_bytes())
    }
}

impl From<&[u8]> for RedisString {
    fn from(b: &[u8]) -> RedisString {
        RedisString(b.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for RedisString {
    fn from(b: &[u8; N]) -> RedisString {
        RedisString(b.to_vec())
    }
}

impl From<Vec<u8>> for RedisString {
    fn from(b: Vec<u8>) -> RedisString {
        RedisString(b)
    }
}

impl From<RedisString> for Vec<u8> {
    fn from(s: RedisString) -> Vec<u8> {
        s.0
    }
}

impl TryFrom<RedisString> for String {
    type Error = FromUtf8Error;
    fn try_from(s: RedisString) -> Result<String, FromUtf8Error> {
        s.into_string()
    }
}

/// `RedisString == other` and `other == RedisString`, by bytes.
macro_rules! eq_bytes {
    ($($ty:ty),* $(,)?) => {$(
        impl PartialEq<$ty> for RedisString {
            fn eq(&self, other: &$ty) -> bool {
                self.0[..] == AsRef::<[u8]>::as_ref(other)[..]
            }
        }
        impl PartialEq<RedisString> for $ty {
            fn eq(&self, other: &RedisString) -> bool {
                AsRef::<[u8]>::as_ref(self)[..] == other.0[..]
            }
        }
    )*};
}

eq_bytes!(str, &str, String, [u8], &[u8], Vec<u8>);

impl<const N: usize> PartialEq<[u8; N]> for RedisString {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.0[..] == other[..]
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for RedisString {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.0[..] == other[..]
    }
}

/// Why the state API refused a read or a write: the key holds another type
/// (Redis's `WRONGTYPE`), or Redis answers the equivalent command with an
/// error (an increment of a non-integer, a NaN score, ...).
///
/// ```
/// use mock_redis::StateError;
/// let server = mock_redis::MockRedis::start_blocking();
/// server.db(0).set("k", "v");
/// let err = server.db(0).hget("k", "f").unwrap_err();
/// assert!(matches!(err, StateError::WrongType { expected: "hash", actual: "string", .. }));
/// assert_eq!(err.to_string(), r#"WRONGTYPE key "k" holds a string, not a hash"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The key holds a value of another type. Types are named as `TYPE`
    /// names them: `string`, `list`, `hash`, `set`, `zset`.
    WrongType {
        /// The key.
        key: RedisString,
        /// The type the operation works on.
        expected: &'static str,
        /// The type the key holds.
        actual: &'static str,
    },
    /// Redis answers the equivalent command with this error.
    Rejected {
        /// The key.
        key: RedisString,
        /// The error as Redis words it, code first:
        /// `ERR value is not an integer or out of range`.
        error: String,
    },
}

impl StateError {
    /// The key the operation was on.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).rpush("l", ["x"]).unwrap();
    /// assert_eq!(*server.db(0).get("l").unwrap_err().key(), "l");
    /// ```
    pub fn key(&self) -> &RedisString {
        match self {
            StateError::WrongType { key, .. } | StateError::Rejected { key, .. } => key,
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::WrongType {
                key,
                expected,
                actual,
            } => write!(
                f,
                "WRONGTYPE key {key:?} holds a {actual}, not a {expected}"
            ),
            StateError::Rejected { key, error } => write!(f, "key {key:?}: {error}"),
        }
    }
}

impl std::error::Error for StateError {}
