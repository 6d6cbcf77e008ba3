//! The direct state API: read and change the engine's keyspace and clock
//! from the test itself, while clients are connected.
//!
//! Every call takes the engine lock for its duration only, exactly like one
//! client command, so it is atomic with respect to the commands clients run.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::{MockRedis, Shared};
use crate::engine::Engine;
use crate::engine::keyspace::{Value, events};

impl MockRedis {
    /// A handle on database `n` (0 to 15).
    ///
    /// # Panics
    ///
    /// When `n` is not a valid database index.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("greeting", "hello");
    /// assert_eq!(server.db(0).get("greeting").as_deref(), Some(&b"hello"[..]));
    /// ```
    pub fn db(&self, n: usize) -> DbHandle {
        assert!(
            n < crate::engine::DATABASES,
            "database index {n} out of range (0..{})",
            crate::engine::DATABASES
        );
        DbHandle {
            shared: self.shared().clone(),
            index: n,
        }
    }

    /// Seeds the engine's random choices (SPOP, SRANDMEMBER, HRANDFIELD,
    /// ZRANDMEMBER), so a test gets the same picks on every run: two servers
    /// given the same seed and the same commands answer alike.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let pick = |seed| {
    ///     let server = mock_redis::MockRedis::start_blocking();
    ///     server.seed(seed);
    ///     let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
    ///     conn.write_all(b"SADD s a b c d e f g h\r\nSRANDMEMBER s 3\r\n").unwrap();
    ///     let mut reply = vec![0u8; 4 + 4 + 3 * 7]; // :8, *3, three $1 bulks
    ///     conn.read_exact(&mut reply).unwrap();
    ///     reply
    /// };
    /// assert_eq!(pick(7), pick(7));
    /// ```
    pub fn seed(&self, seed: u64) {
        self.shared().engine().random.seed(seed);
    }

    /// Moves the engine clock forward by `d` and expires every key that is
    /// now past its deadline, as if that much time had passed.
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set_with_ttl("session", "x", Duration::from_secs(10));
    /// server.fast_forward(Duration::from_secs(11));
    /// assert!(!server.db(0).exists("session"));
    /// ```
    pub fn fast_forward(&self, d: Duration) {
        with_engine(self.shared(), |e| {
            e.clock.fast_forward(d);
            e.active_expire_cycle();
        });
    }

    /// Stops the engine clock: keys no longer expire on their own, and
    /// `TIME` keeps answering the same instant, until the clock is moved
    /// with [`fast_forward`](MockRedis::fast_forward) or
    /// [`set_time`](MockRedis::set_time), or let go with
    /// [`unfreeze_time`](MockRedis::unfreeze_time).
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.freeze_time();
    /// server.db(0).set_with_ttl("k", "v", Duration::from_millis(1));
    /// std::thread::sleep(Duration::from_millis(5));
    /// assert!(server.db(0).exists("k"));
    /// ```
    pub fn freeze_time(&self) {
        with_engine(self.shared(), |e| e.clock.freeze());
    }

    /// Lets a frozen clock run on from where it stands.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.freeze_time();
    /// server.unfreeze_time();
    /// ```
    pub fn unfreeze_time(&self) {
        with_engine(self.shared(), |e| e.clock.unfreeze());
    }

    /// Sets the engine clock to `t` and freezes it there (so tests are
    /// deterministic); keys whose deadline is before `t` expire.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let t = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    /// server.set_time(t);
    /// assert_eq!(server.now(), t);
    /// ```
    pub fn set_time(&self, t: SystemTime) {
        with_engine(self.shared(), |e| {
            e.clock.set_time(t);
            e.active_expire_cycle();
        });
    }

    /// The engine clock's current time.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert!(server.now() > std::time::UNIX_EPOCH);
    /// ```
    pub fn now(&self) -> SystemTime {
        with_engine(self.shared(), |e| e.clock.now())
    }

    /// Empties every database, as `FLUSHALL` does (WATCH included).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(3).set("k", "v");
    /// server.flushall();
    /// assert_eq!(server.db(3).len(), 0);
    /// ```
    pub fn flushall(&self) {
        with_engine(self.shared(), |e| e.flushall());
    }

    /// A readable listing of every non-empty database: one line per key,
    /// sorted, with its type, value and remaining time to live.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("a", "1");
    /// assert_eq!(server.dump(), "db0:\n  \"a\" string \"1\"\n");
    /// ```
    pub fn dump(&self) -> String {
        with_engine(self.shared(), |e| {
            let now = e.now_ms();
            let mut out = String::new();
            for (i, db) in e.dbs.iter().enumerate() {
                let mut entries: Vec<_> = db
                    .iter()
                    .filter(|(_, entry)| entry.expires_at.is_none_or(|t| now <= t))
                    .collect();
                if entries.is_empty() {
                    continue;
                }
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let _ = writeln!(out, "db{i}:");
                for (key, entry) in entries {
                    let _ = write!(
                        out,
                        "  {} {} {}",
                        quote(key),
                        entry.value.type_name(),
                        describe(&entry.value)
                    );
                    if let Some(t) = entry.expires_at {
                        let _ = write!(out, " (ttl {}ms)", t - now);
                    }
                    out.push('\n');
                }
            }
            out
        })
    }
}

/// Runs `f` with the engine locked and its clock reading refreshed, then
/// lets the engine react to what changed (wakeups, notifications).
fn with_engine<T>(shared: &Arc<Shared>, f: impl FnOnce(&mut Engine) -> T) -> T {
    let mut engine = shared.engine();
    engine.refresh_time();
    let out = f(&mut engine);
    engine.after_command();
    out
}

fn quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::List(l) => format!(
            "[{}]",
            l.iter().map(|e| quote(e)).collect::<Vec<_>>().join(", ")
        ),
        Value::Set(s) => {
            let mut m: Vec<_> = s.iter().map(|e| quote(e)).collect();
            m.sort();
            format!("{{{}}}", m.join(", "))
        }
        Value::Hash(h) => {
            let mut m: Vec<_> = h
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
                .collect();
            m.sort();
            format!("{{{}}}", m.join(", "))
        }
        Value::ZSet(z) => format!(
            "[{}]",
            z.iter()
                .map(|(m, s)| format!("{} {}", quote(m), crate::protocol::format_double(s)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One database of a running [`MockRedis`], for reading and writing keys
/// directly from the test. Obtained with [`MockRedis::db`]; cheap to clone.
///
/// ```
/// let server = mock_redis::MockRedis::start_blocking();
/// let db = server.db(0);
/// db.set("k", "v");
/// assert!(db.exists("k"));
/// assert_eq!(db.keys(), vec![bytes::Bytes::from("k")]);
/// ```
#[derive(Clone)]
pub struct DbHandle {
    shared: Arc<Shared>,
    index: usize,
}

impl std::fmt::Debug for DbHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbHandle")
            .field("index", &self.index)
            .finish()
    }
}

impl DbHandle {
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut crate::engine::keyspace::Db) -> T) -> T {
        let index = self.index;
        with_engine(&self.shared, |e| f(&mut e.dbs[index]))
    }

    /// Sets `key` to the string `value`, dropping any time to live (`SET`).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert_eq!(server.db(0).get("k"), Some(bytes::Bytes::from("v")));
    /// ```
    pub fn set(&self, key: impl Into<Bytes>, value: impl Into<Bytes>) {
        let key = key.into();
        self.with(|db| {
            db.insert(key.clone(), Value::String(value.into()));
            db.notify(events::STRING, "set", &key);
        });
    }

    /// Sets `key` to `value` with a time to live (`SET ... PX`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set_with_ttl("k", "v", Duration::from_secs(60));
    /// assert!(server.db(0).ttl("k").unwrap() <= Duration::from_secs(60));
    /// ```
    pub fn set_with_ttl(&self, key: impl Into<Bytes>, value: impl Into<Bytes>, ttl: Duration) {
        let key = key.into();
        self.with(|db| {
            let at = db
                .now_ms()
                .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
            db.insert(key.clone(), Value::String(value.into()));
            db.set_expire(&key, at);
            db.notify(events::STRING, "set", &key);
        });
    }

    /// The string at `key`; `None` when it is missing or holds another type.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).get("missing"), None);
    /// ```
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<Bytes> {
        self.with(|db| match db.entry(key.as_ref()) {
            Some(e) => match &e.value {
                Value::String(s) => Some(s.clone()),
                _ => None,
            },
            None => None,
        })
    }

    /// The type of the value at `key` as `TYPE` names it (`"string"`,
    /// `"list"`, ...), or `None` when it is missing.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert_eq!(server.db(0).type_of("k"), Some("string"));
    /// ```
    pub fn type_of(&self, key: impl AsRef<[u8]>) -> Option<&'static str> {
        self.with(|db| db.kind(key.as_ref()).map(|k| k.name()))
    }

    /// Whether `key` exists (and has not expired).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert!(!server.db(0).exists("k"));
    /// ```
    pub fn exists(&self, key: impl AsRef<[u8]>) -> bool {
        self.with(|db| db.contains(key.as_ref()))
    }

    /// Deletes `key`; true when it existed.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert!(server.db(0).del("k"));
    /// assert!(!server.db(0).del("k"));
    /// ```
    pub fn del(&self, key: impl AsRef<[u8]>) -> bool {
        let key = key.as_ref();
        self.with(|db| {
            let existed = db.remove(key).is_some();
            if existed {
                db.notify(events::GENERIC, "del", key);
            }
            existed
        })
    }

    /// The remaining time to live of `key`; `None` when the key is missing
    /// or has no deadline.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert_eq!(server.db(0).ttl("k"), None);
    /// ```
    pub fn ttl(&self, key: impl AsRef<[u8]>) -> Option<Duration> {
        self.with(|db| {
            let now = db.now_ms();
            db.expire_at(key.as_ref())
                .map(|t| Duration::from_millis((t - now).max(0) as u64))
        })
    }

    /// Gives an existing `key` a time to live; false when it is missing.
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// assert!(server.db(0).expire("k", Duration::from_secs(5)));
    /// ```
    pub fn expire(&self, key: impl AsRef<[u8]>, ttl: Duration) -> bool {
        let key = key.as_ref();
        self.with(|db| {
            if !db.contains(key) {
                return false;
            }
            let at = db
                .now_ms()
                .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
            db.set_expire(key, at);
            db.notify(events::GENERIC, "expire", key);
            true
        })
    }

    /// Every live key, sorted.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("b", "2");
    /// server.db(0).set("a", "1");
    /// assert_eq!(server.db(0).keys(), vec![bytes::Bytes::from("a"), bytes::Bytes::from("b")]);
    /// ```
    pub fn keys(&self) -> Vec<Bytes> {
        self.with(|db| {
            let mut keys: Vec<Bytes> = db.live_keys().cloned().collect();
            keys.sort();
            keys
        })
    }

    /// Number of live keys.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert_eq!(server.db(0).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.with(|db| db.live_keys().count())
    }

    /// Whether the database holds no live key.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// assert!(server.db(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties this database, as `FLUSHDB` does.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.db(0).set("k", "v");
    /// server.db(0).flush();
    /// assert!(server.db(0).is_empty());
    /// ```
    pub fn flush(&self) {
        self.with(|db| {
            db.flush();
        });
    }
}
