//! The mock side of the handle: mounting mocks, verification, the journal,
//! strict mode and server-wide faults. Mounting lives here, not in
//! `src/mock`, so the dependency points one way: server -> mock.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::MockRedis;
use crate::mock::{Mock, MockGuard, Request, VerificationReport};

impl Mock {
    /// Mounts the mock on `server`, for the server's lifetime (or until
    /// [`MockRedis::reset`]). Works from sync and async code alike.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedis, Reply};
    /// use mock_redis::matchers::command;
    ///
    /// let server = MockRedis::start_blocking();
    /// Mock::given(command("GET")).respond_with(Reply::bulk("v")).mount(&server);
    /// let mut conn = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    /// let v: String = redis::cmd("GET").arg("k").query(&mut conn).unwrap();
    /// assert_eq!(v, "v");
    /// ```
    pub fn mount(self, server: &MockRedis) {
        server.shared().mocks.mount(self);
    }

    /// Mounts the mock until the returned guard is dropped; dropping the
    /// guard verifies the mock's expectation (unless the thread is already
    /// panicking) and unmounts it. That panic points into mock-redis, not
    /// at the test: `Drop` cannot be `#[track_caller]`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// use mock_redis::{Mock, MockRedis, Reply};
    /// use mock_redis::matchers::command;
    ///
    /// let server = MockRedis::start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// {
    ///     let guard = Mock::given(command("GET")).respond_with(Reply::bulk("mocked")).expect(1).mount_as_scoped(&server);
    ///     let v: String = redis::cmd("GET").arg("k").query_async(&mut conn).await?;
    ///     assert_eq!(v, "mocked");
    ///     assert_eq!(guard.calls(), 1);
    /// } // verified and unmounted here
    /// let v: Option<String> = redis::cmd("GET").arg("k").query_async(&mut conn).await.unwrap_or(None);
    /// assert_ne!(v.as_deref(), Some("mocked"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn mount_as_scoped(self, server: &MockRedis) -> MockGuard {
        MockGuard::mount(&server.shared().mocks, self)
    }
}

impl MockRedis {
    /// Mounts `mock` and returns its id (the admin API's handle on it).
    #[cfg(feature = "admin")]
    pub(crate) fn mount_with_id(&self, mock: Mock) -> u64 {
        self.shared().mocks.mount(mock)
    }

    /// The mounted mocks, in the order they are tried.
    #[cfg(feature = "admin")]
    pub(crate) fn mock_list(&self) -> Vec<crate::mock::MockSummary> {
        self.shared().mocks.list()
    }

    /// Unmounts mock `id` without verifying it; false if there is none.
    #[cfg(feature = "admin")]
    pub(crate) fn unmount(&self, id: u64) -> bool {
        self.shared().mocks.unmount(id).is_some()
    }

    /// Checks every mounted mock's expectation (and, in strict mode, that
    /// every command matched a mock); panics with the
    /// [report](VerificationReport) if not. Dropping the server does the
    /// same unless the thread is already panicking.
    ///
    /// The panic points at the line that called `verify()` (it is
    /// `#[track_caller]`). A panic from dropping the server, or a
    /// [scoped guard](Mock::mount_as_scoped), cannot: `Drop` has no caller
    /// location, so it points into mock-redis; the test's name in the
    /// failure output still says which test failed. Call `verify()` at the
    /// end of a test to have the location.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedis, Reply};
    /// use mock_redis::matchers::command;
    ///
    /// let server = MockRedis::start_blocking();
    /// Mock::given(command("GET")).respond_with(Reply::nil()).expect(1).mount(&server);
    /// let mut conn = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    /// let _: Option<String> = redis::cmd("GET").arg("k").query(&mut conn).unwrap();
    /// server.verify();
    /// ```
    #[track_caller]
    pub fn verify(&self) {
        if let Err(report) = self.try_verify() {
            panic!("{report}");
        }
    }

    /// [`verify`](MockRedis::verify) without panicking: the report as an error.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedis, Reply};
    /// use mock_redis::matchers::command;
    ///
    /// let server = MockRedis::start_blocking();
    /// Mock::given(command("GET")).respond_with(Reply::nil()).expect(1..).mount(&server);
    /// let report = server.try_verify().unwrap_err();
    /// assert!(report.to_string().contains("expected at least 1 call, received 0"));
    /// server.reset();
    /// ```
    pub fn try_verify(&self) -> Result<(), VerificationReport> {
        self.shared().mocks.verify()
    }

    /// Unmounts every mock, clears the journal and the log of published
    /// messages ([`published`](MockRedis::published)); faults and strict
    /// mode stay as they are.
    ///
    /// ```
    /// use mock_redis::{Mock, MockRedis, Reply};
    /// use mock_redis::matchers::any;
    /// let server = MockRedis::start_blocking();
    /// Mock::given(any()).respond_with(Reply::ok()).expect(1).mount(&server);
    /// server.reset();
    /// server.verify(); // nothing left to verify
    /// ```
    pub fn reset(&self) {
        self.shared().mocks.reset();
        self.shared().engine().pubsub.published.clear();
    }

    /// Every command received since the start (or the last
    /// [`reset`](MockRedis::reset)), in arrival order, with its connection
    /// id, database and time; `None` while the journal is off
    /// ([`Builder::record_commands`](crate::Builder::record_commands),
    /// [`set_recording`](MockRedis::set_recording)), as wiremock's
    /// `received_requests`. Handshake commands clients send on connect are
    /// included; [`received_commands_as_strings_without_handshakes`](MockRedis::received_commands_as_strings_without_handshakes)
    /// leaves them out.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// let _: String = redis::cmd("PING").query_async(&mut conn).await?;
    /// let last = server.received_commands().unwrap().pop().unwrap();
    /// assert_eq!(last.to_string(), r#""PING""#);
    ///
    /// let quiet = mock_redis::MockRedis::builder().record_commands(false).start().await;
    /// assert!(quiet.received_commands().is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn received_commands(&self) -> Option<Vec<Request>> {
        if !self.shared().recording.load(Ordering::Relaxed) {
            return None;
        }
        Some(self.shared().mocks.journal())
    }

    /// Every command received, as [`received_commands`](MockRedis::received_commands)
    /// lists them, each as its arguments in lossy UTF-8 (see
    /// [`Request::args_as_strings`]): easy to compare without the `bytes`
    /// crate.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// let _: () = redis::cmd("SET").arg("k").arg("v").query_async(&mut conn).await?;
    /// let all = server.received_commands_as_strings();
    /// assert_eq!(all.last().unwrap(), &["SET", "k", "v"]);
    /// // redis-rs opened with CLIENT SETINFO LIB-NAME / LIB-VER:
    /// assert!(all.len() > 1 && all[0][..2] == ["CLIENT", "SETINFO"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn received_commands_as_strings(&self) -> Vec<Vec<String>> {
        self.shared().mocks.journal_strings(false)
    }

    /// [`received_commands_as_strings`](MockRedis::received_commands_as_strings)
    /// without the handshake each connection opened with: the run of
    /// commands clients send on connect (`HELLO`, `AUTH`, `SELECT`, `PING`,
    /// `CLIENT SETINFO`, `CLIENT SETNAME`, `CLIENT TRACKING`, `INFO`,
    /// `COMMAND`, the list [strict mode](crate::Builder::strict) spares)
    /// before the connection's first other command. The same commands sent
    /// later, after the handshake, are kept: a test's own `PING` or `SELECT 1`
    /// stays in the list (unless it is the very first command of its
    /// connection).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let url = format!("{}/2", server.url()); // redis-rs also SELECTs 2 on connect
    /// let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    /// let _: () = redis::cmd("SET").arg("k").arg("v").query_async(&mut conn).await?;
    /// let _: String = redis::cmd("PING").query_async(&mut conn).await?;
    /// assert_eq!(
    ///     server.received_commands_as_strings_without_handshakes(),
    ///     [vec!["SET", "k", "v"], vec!["PING"]],
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn received_commands_as_strings_without_handshakes(&self) -> Vec<Vec<String>> {
        self.shared().mocks.journal_strings(true)
    }

    /// The commands one connection sent (`connection` is the id
    /// `CLIENT ID` answers on it, and [`Request::connection_id`]); `None`
    /// while the journal is off, as [`received_commands`](MockRedis::received_commands).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// let id: u64 = redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await?;
    /// let mine = server.received_commands_on(id).unwrap();
    /// assert!(mine.iter().all(|r| r.connection_id() == id));
    /// assert!(mine.last().unwrap().is_command("CLIENT ID"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn received_commands_on(&self, connection: u64) -> Option<Vec<Request>> {
        let mut all = self.received_commands()?;
        all.retain(|r| r.connection_id() == connection);
        Some(all)
    }

    /// Turns the journal on or off (on by default; see
    /// [`Builder::record_commands`](crate::Builder::record_commands)).
    /// While it is off, [`received_commands`](MockRedis::received_commands)
    /// is `None`; turned on again, it lists what was recorded before and
    /// after.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.set_recording(false);
    /// assert!(server.received_commands().is_none());
    /// server.set_recording(true);
    /// assert_eq!(server.received_commands(), Some(vec![]));
    /// ```
    pub fn set_recording(&self, on: bool) {
        self.shared().mocks.set_recording(on);
        self.shared().recording.store(on, Ordering::Relaxed);
    }

    /// Turns [strict mode](crate::Builder::strict) on or off.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::start_blocking();
    /// server.set_strict(true);
    /// # server.set_strict(false);
    /// ```
    pub fn set_strict(&self, on: bool) {
        self.shared().mocks.set_strict(on);
    }

    /// Answers every command with this error until cleared with `None`,
    /// before any mock is consulted. Commands Redis serves while loading
    /// (`HELLO`, `AUTH`, `SELECT`, `CLIENT ...`, `INFO`, `COMMAND`) are
    /// spared, as Redis spares them during `LOADING`, so clients can still
    /// connect.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// server.set_error(Some("LOADING Redis is loading the dataset in memory"));
    /// let err = redis::cmd("PING").query_async::<String>(&mut conn).await.unwrap_err();
    /// assert_eq!(err.code(), Some("LOADING"));
    /// server.set_error(None);
    /// let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
    /// assert_eq!(pong, "PONG");
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_error(&self, error: Option<&str>) {
        let error = error.map(|e| match crate::Reply::error(e) {
            crate::Reply::Error(text) => text,
            _ => Bytes::from_static(b"ERR"),
        });
        self.shared().mocks.set_error(error);
    }

    /// Closes every open connection now (pending replies are not written).
    /// The server keeps listening; clients can reconnect.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// let server = mock_redis::MockRedis::start().await;
    /// let mut conn = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    /// conn.write_all(b"PING\r\n").await.unwrap();
    /// let mut pong = [0u8; 7];
    /// conn.read_exact(&mut pong).await.unwrap(); // the connection is being served
    /// server.close_connections();
    /// let mut rest = Vec::new();
    /// conn.read_to_end(&mut rest).await.unwrap();
    /// assert!(rest.is_empty());
    /// # }
    /// ```
    pub fn close_connections(&self) {
        self.shared().mocks.close_connections();
    }

    /// Closes each connection right after it has been answered its `n`th
    /// command (counting from its first command); `None` turns this off.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// let server = mock_redis::MockRedis::start().await;
    /// server.close_connections_after(Some(1));
    /// let mut conn = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    /// conn.write_all(b"PING\r\nPING\r\n").await.unwrap();
    /// let mut out = Vec::new();
    /// conn.read_to_end(&mut out).await.unwrap();
    /// assert_eq!(out, b"+PONG\r\n");
    /// # }
    /// ```
    pub fn close_connections_after(&self, n: Option<u64>) {
        self.shared().mocks.set_close_after(n);
    }
}
