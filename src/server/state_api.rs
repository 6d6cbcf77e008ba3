//! The direct state API on [`MockRedis`]: the clock (`fast_forward`,
//! `freeze_time`, `set_time`, `now`), `flushall`, `dump`, `seed`, and
//! pub/sub from the test side (`publish`, `published`, `published_on`).
//! Per-database reads, writes and assertions are on [`DbHandle`]
//! (`db_handle/`); `listing.rs` formats values for both dumps.
//!
//! Every call takes the engine lock for its duration only, exactly like one
//! client command, so it is atomic with respect to the commands clients run.
//! A new test-side operation calls the engine helper the matching command
//! uses, so both behave alike.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::listing::dump_db;
use super::{DbHandle, MockRedis, RedisString, Shared};
use crate::engine::{Engine, delivery};

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
    /// server.db(0).assert_string("greeting", "hello");
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

    /// Seeds the engine's random choices (RANDOMKEY, SPOP, SRANDMEMBER,
    /// HRANDFIELD, ZRANDMEMBER, and the LFU counters `OBJECT FREQ` reports),
    /// so a test gets the same picks on every run: two servers given the
    /// same seed and the same commands answer alike.
    ///
    /// ```
    /// let picks = |seed| -> redis::RedisResult<(Vec<String>, Vec<String>)> {
    ///     let server = mock_redis::MockRedis::start_blocking();
    ///     server.seed(seed);
    ///     let mut conn = redis::Client::open(server.url())?.get_connection()?;
    ///     let _: () = redis::cmd("MSET").arg(&["a", "1", "b", "2", "c", "3", "d", "4"]).query(&mut conn)?;
    ///     let _: i64 = redis::cmd("SADD").arg("s").arg(&["a", "b", "c", "d", "e", "f", "g", "h"]).query(&mut conn)?;
    ///     let members: Vec<String> = redis::cmd("SRANDMEMBER").arg("s").arg(3).query(&mut conn)?;
    ///     let keys = (0..6)
    ///         .map(|_| redis::cmd("RANDOMKEY").query(&mut conn))
    ///         .collect::<redis::RedisResult<Vec<String>>>()?;
    ///     Ok((members, keys))
    /// };
    /// assert_eq!(picks(7)?, picks(7)?);
    /// # Ok::<(), redis::RedisError>(())
    /// ```
    pub fn seed(&self, seed: u64) {
        self.shared().engine().random.seed(seed);
    }

    /// Moves the engine clock forward by `d`, expires every key that is now
    /// past its deadline and times out every blocked command (`BLPOP`,
    /// `BZPOPMIN`, ...) now past its timeout, as if that much time had
    /// passed: the blocked client gets its timeout reply at once.
    ///
    /// As in Redis, a key expires strictly *after* its deadline, and so
    /// does a blocking command's timeout: with a [frozen](MockRedis::freeze_time)
    /// clock, `fast_forward(ttl)` leaves a key set with that `ttl`, and
    /// `fast_forward(ttl + 1ms)` removes it. (With a running clock, real
    /// time passes as well.)
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.freeze_time();
    /// server.db(0).set_with_ttl("session", "x", Duration::from_secs(10));
    /// server.fast_forward(Duration::from_secs(10));
    /// assert!(server.db(0).exists("session")); // at its deadline: still there
    /// server.fast_forward(Duration::from_millis(1));
    /// assert!(!server.db(0).exists("session"));
    /// ```
    ///
    /// A client blocked in `BLPOP q 30` times out when the clock passes its
    /// 30 seconds, however little real time went by:
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let url = server.url();
    /// let waiter = std::thread::spawn(move || -> redis::RedisResult<Option<(String, String)>> {
    ///     let mut conn = redis::Client::open(url)?.get_connection()?;
    ///     redis::cmd("BLPOP").arg("q").arg(30).query(&mut conn)
    /// });
    /// # let mut conn = redis::Client::open(server.url())?.get_connection()?;
    /// # while redis::cmd("INFO").arg("clients").query::<String>(&mut conn)?.contains("blocked_clients:0") {
    /// #     std::thread::sleep(Duration::from_millis(5));
    /// # }
    /// // ... once the client is blocked:
    /// server.fast_forward(Duration::from_secs(31));
    /// assert_eq!(waiter.join().unwrap()?, None); // the timeout's null reply
    /// # Ok::<(), redis::RedisError>(())
    /// ```
    pub fn fast_forward(&self, d: Duration) {
        with_engine(self.shared(), |e| {
            e.clock.fast_forward(d);
            e.active_expire_cycle();
        });
    }

    /// Stops the engine clock: keys no longer expire on their own, blocked
    /// commands (`BLPOP q 5`) no longer time out on their own, and `TIME`
    /// keeps answering the same instant, until the clock is moved with
    /// [`fast_forward`](MockRedis::fast_forward) or
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

    /// Lets a frozen clock run on from where it stands; keys and blocked
    /// commands then expire and time out as it runs (blocked commands
    /// within the 100 ms of the active-expiry cycle).
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
    /// deterministic); keys whose deadline is before `t` expire, and
    /// blocked commands whose timeout is before `t` time out.
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

    /// Loads a Lua script into the script cache, as `SCRIPT LOAD` does,
    /// and returns its SHA1 (what `EVALSHA` takes), so a test can prepare
    /// scripts the code under test only calls by hash. `Err` holds the
    /// error `SCRIPT LOAD` would answer (`ERR Error compiling script ...`).
    /// With the `scripting` feature (on by default).
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let sha = server.script_load("return redis.call('INCR', KEYS[1])").unwrap();
    /// assert_eq!(sha.len(), 40);
    /// let mut conn = redis::Client::open(server.url())?.get_connection()?;
    /// let n: i64 = redis::cmd("EVALSHA").arg(&sha).arg(1).arg("hits").query(&mut conn)?;
    /// assert_eq!(n, 1);
    /// assert!(server.script_load("return +").is_err());
    /// # Ok::<(), redis::RedisError>(())
    /// ```
    #[cfg(feature = "scripting")]
    pub fn script_load(&self, source: impl AsRef<[u8]>) -> Result<String, String> {
        let mut engine = self.shared().engine();
        let version = engine.config.redis_version.clone();
        engine
            .scripting
            .load(&version, source.as_ref())
            .map_err(|reply| match reply {
                crate::protocol::Reply::Error(e) => String::from_utf8_lossy(&e).into_owned(),
                other => format!("{other:?}"),
            })
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
                let listing = dump_db(db, now);
                if !listing.is_empty() {
                    let _ = write!(out, "db{i}:\n{listing}");
                }
            }
            out
        })
    }

    /// Publishes `message` on `channel`, exactly as a client's `PUBLISH`
    /// would (channel subscribers, then matching pattern subscribers), and
    /// returns the number of clients that received it. Test-side publishes
    /// are not listed by [`published`](MockRedis::published).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// use futures_util::StreamExt;
    ///
    /// let server = mock_redis::MockRedis::start().await;
    /// let client = redis::Client::open(server.url())?;
    /// let mut pubsub = client.get_async_pubsub().await?;
    /// pubsub.subscribe("news").await?;
    ///
    /// assert_eq!(server.publish("news", "hello"), 1);
    /// assert_eq!(server.publish("elsewhere", "nobody"), 0);
    ///
    /// let msg = pubsub.on_message().next().await.unwrap();
    /// assert_eq!(msg.get_channel_name(), "news");
    /// assert_eq!(msg.get_payload::<String>()?, "hello");
    /// # Ok(())
    /// # }
    /// ```
    pub fn publish(&self, channel: impl AsRef<[u8]>, message: impl AsRef<[u8]>) -> usize {
        let mut engine = self.shared().engine();
        engine.refresh_time();
        let message = Bytes::copy_from_slice(message.as_ref());
        let n = delivery::publish(&mut engine, None, channel.as_ref(), &message, false);
        engine.after_command();
        n
    }

    /// Every message clients sent with `PUBLISH` or `SPUBLISH`, oldest
    /// first, as `(channel, message)` pairs (whether anyone received them
    /// or not). The log is bounded: the newest 10,000 messages and at most
    /// 64 MiB by default ([`Builder::published_log`](crate::Builder::published_log));
    /// [`reset`](MockRedis::reset) clears it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let client = redis::Client::open(server.url())?;
    /// let mut conn = client.get_multiplexed_async_connection().await?;
    /// let receivers: i64 = redis::cmd("PUBLISH").arg("jobs").arg("done").query_async(&mut conn).await?;
    /// assert_eq!(receivers, 0);
    /// assert_eq!(server.published(), [("jobs".into(), "done".into())]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn published(&self) -> Vec<(RedisString, RedisString)> {
        self.shared()
            .engine()
            .pubsub
            .published
            .iter()
            .map(|(c, m)| (RedisString::from(&c[..]), RedisString::from(&m[..])))
            .collect()
    }

    /// The messages clients published on `channel`, oldest first.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let client = redis::Client::open(server.url()).unwrap();
    /// let mut conn = client.get_connection().unwrap();
    /// let _: i64 = redis::cmd("PUBLISH").arg("a").arg("1").query(&mut conn).unwrap();
    /// let _: i64 = redis::cmd("PUBLISH").arg("b").arg("2").query(&mut conn).unwrap();
    /// assert_eq!(server.published_on("a"), ["1"]);
    /// ```
    pub fn published_on(&self, channel: impl AsRef<[u8]>) -> Vec<RedisString> {
        let channel = channel.as_ref();
        self.shared()
            .engine()
            .pubsub
            .published
            .iter()
            .filter(|(c, _)| c.as_ref() == channel)
            .map(|(_, m)| RedisString::from(&m[..]))
            .collect()
    }
}

/// Runs `f` with the engine locked and its clock reading refreshed, then
/// lets the engine react to what changed (wakeups, notifications).
pub(super) fn with_engine<T>(shared: &Arc<Shared>, f: impl FnOnce(&mut Engine) -> T) -> T {
    let mut engine = shared.engine();
    engine.refresh_time();
    let out = f(&mut engine);
    engine.after_command();
    out
}
