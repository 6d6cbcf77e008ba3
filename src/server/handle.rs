//! The public handle and its builder.

use std::io;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::{Running, Shared, StdListeners, TlsListeners};
use crate::engine::commands::shutdown::Phase;
use crate::engine::{Config, Engine};
use crate::mock::MockState;

/// A Redis-speaking server running inside the test process.
///
/// Start one per test with [`MockRedis::start`] (async tests) or
/// [`MockRedis::start_blocking`] (plain `#[test]` functions and sync
/// clients), point any client at [`url`](MockRedis::url), and drop it at the
/// end: dropping the handle stops the accept loop and every connection task,
/// and the port refuses connections from then on.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mock_redis::MockRedis;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let server = MockRedis::start().await;
/// let mut conn = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
/// conn.write_all(b"PING\r\n").await.unwrap();
/// let mut reply = [0u8; 7];
/// conn.read_exact(&mut reply).await.unwrap();
/// assert_eq!(&reply, b"+PONG\r\n");
/// server.shutdown().await;
/// # }
/// ```
#[must_use = "the server stops as soon as its handle is dropped"]
pub struct MockRedis {
    shared: Arc<Shared>,
    addr: SocketAddr,
    unix: Option<UnixSocket>,
    blocking: bool,
    running: Option<Running>,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<super::tls::ServerTls>,
}

/// A Unix socket path, and the temporary directory holding it when the
/// handle created one.
struct UnixSocket {
    path: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl MockRedis {
    /// Starts a server on `127.0.0.1` and an ephemeral port, with its accept
    /// loop spawned on the current tokio runtime.
    ///
    /// The server runs only when that runtime does. A *sync* client (redis-rs's
    /// `get_connection()`, an r2d2 pool, a thread the test joins) in a
    /// current-thread `#[tokio::test]` blocks the runtime's only thread while
    /// it waits for the server's reply. mock-redis does not hang there: when
    /// the runtime has not run the server for half a second, a process-wide
    /// watchdog thread accepts the waiting connections itself and serves
    /// them (same mocks, data and journal), so the client is answered about
    /// 0.5 s late, and a line on stderr names [`start_blocking`](MockRedis::start_blocking),
    /// the right entry point for sync clients. The watchdog cannot serve a
    /// connection the runtime had already accepted before it blocked; if the
    /// runtime stays blocked for 5 s while such connections are open, it
    /// says so on stderr. Async clients, and multi-thread runtimes, never
    /// need it.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or if the loopback interface cannot be bound;
    /// use [`Builder::try_start`] to get the error instead.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::start().await;
    /// assert!(server.url().starts_with("redis://127.0.0.1:"));
    /// # }
    /// ```
    pub async fn start() -> MockRedis {
        MockRedis::builder().start().await
    }

    /// Starts a server on its own thread and runtime, for synchronous tests
    /// and clients. Safe to call from inside a tokio runtime too.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let server = mock_redis::MockRedis::start_blocking();
    /// let mut conn = std::net::TcpStream::connect(server.addr()).unwrap();
    /// conn.write_all(b"ECHO hi\r\n").unwrap();
    /// let mut reply = [0u8; 8];
    /// conn.read_exact(&mut reply).unwrap();
    /// assert_eq!(&reply, b"$2\r\nhi\r\n");
    /// ```
    pub fn start_blocking() -> MockRedis {
        MockRedis::builder().start_blocking()
    }

    /// A builder to choose the address, a Unix socket, the reported Redis
    /// version or a password.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().redis_version("7.2.4").start().await;
    /// # drop(server);
    /// # }
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The TCP address the server listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::start().await;
    /// assert!(server.addr().ip().is_loopback());
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The TCP port the server listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::start().await;
    /// assert_ne!(server.port(), 0);
    /// # }
    /// ```
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// A `redis://host:port` URL for clients; with a password set
    /// ([`Builder::requirepass`], or `CONFIG SET requirepass` since), the
    /// URL carries it, percent-encoded: `redis://:secret@127.0.0.1:port`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::start().await;
    /// assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.port()));
    ///
    /// let guarded = mock_redis::MockRedis::builder().requirepass("s3cret/+").start().await;
    /// assert_eq!(guarded.url(), format!("redis://:s3cret%2F%2B@127.0.0.1:{}", guarded.port()));
    /// let mut conn = redis::Client::open(guarded.url())?.get_multiplexed_async_connection().await?;
    /// let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
    /// assert_eq!(pong, "PONG");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A server that serves TLS on its address ([`Builder::tls`], feature
    /// `tls`) says `rediss://`.
    pub fn url(&self) -> String {
        self.url_with_scheme(self.scheme(), self.addr)
    }

    /// `rediss` when the main address serves TLS only, else `redis`.
    fn scheme(&self) -> &'static str {
        #[cfg(feature = "tls")]
        if self
            .tls
            .as_ref()
            .is_some_and(|t| t.separate_port().is_none())
        {
            return "rediss";
        }
        "redis"
    }

    /// `scheme://[:password@]addr`.
    pub(super) fn url_with_scheme(&self, scheme: &str, addr: SocketAddr) -> String {
        let password = self.shared.engine().config.requirepass.clone();
        match password {
            Some(p) => format!("{scheme}://:{}@{addr}", percent_encode(&p)),
            None => format!("{scheme}://{addr}"),
        }
    }

    /// A `redis://user:password@host:port` URL that authenticates as an
    /// ACL user (see [`Builder::user`]), both parts percent-encoded
    /// (`rediss://` when the address serves TLS only).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().user("alice", "on >pw +@all ~*").start().await;
    /// assert_eq!(server.url_for("alice", "pw"), format!("redis://alice:pw@127.0.0.1:{}", server.port()));
    /// # }
    /// ```
    pub fn url_for(&self, user: &str, password: &str) -> String {
        format!(
            "{}://{}:{}@{}",
            self.scheme(),
            percent_encode(user.as_bytes()),
            percent_encode(password.as_bytes()),
            self.addr
        )
    }

    /// The Unix socket path, when the builder asked for one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().unix_socket().start().await;
    /// let path = server.unix_path().unwrap().to_path_buf();
    /// assert!(path.exists());
    /// drop(server);
    /// assert!(!path.exists());
    /// # }
    /// ```
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_ref().map(|u| u.path.as_path())
    }

    /// Stops accepting, closes every connection and waits until all the
    /// server's tasks have ended. Dropping the handle does the same without
    /// waiting.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::start().await;
    /// let addr = server.addr();
    /// server.shutdown().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # }
    /// ```
    pub async fn shutdown(mut self) {
        #[cfg(feature = "scripting")]
        self.shared.busy.abort();
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    /// Closes every connection and listens again on the same address, as a
    /// restarted Redis would; the data is kept. Clients see their
    /// connections drop and can reconnect. It also brings back a server
    /// stopped by `SHUTDOWN` ([`is_shut_down`](MockRedis::is_shut_down)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut server = mock_redis::MockRedis::start().await;
    /// let port = server.port();
    /// server.restart().await.unwrap();
    /// assert_eq!(server.port(), port);
    /// tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    /// # }
    /// ```
    pub async fn restart(&mut self) -> io::Result<()> {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        self.relisten()
    }

    /// [`restart`](MockRedis::restart) for synchronous tests.
    ///
    /// ```
    /// let mut server = mock_redis::MockRedis::start_blocking();
    /// server.restart_blocking().unwrap();
    /// std::net::TcpStream::connect(server.addr()).unwrap();
    /// ```
    pub fn restart_blocking(&mut self) -> io::Result<()> {
        // Dropping a running loop stops it (joining the server thread).
        drop(self.running.take());
        self.relisten()
    }

    pub(super) fn relisten(&mut self) -> io::Result<()> {
        let tcp = bind_tcp(self.addr)?;
        let (tcp_tls, tls) = self.tls_listeners()?;
        #[cfg(unix)]
        let unix = match &self.unix {
            Some(u) => {
                let _ = std::fs::remove_file(&u.path);
                Some(std::os::unix::net::UnixListener::bind(&u.path)?)
            }
            None => None,
        };
        let listeners = StdListeners {
            tcp,
            tcp_tls,
            tls,
            #[cfg(unix)]
            unix,
        };
        self.shared.engine().shutdown.send_replace(Phase::Serving);
        self.running = Some(Running::start(
            listeners,
            self.shared.clone(),
            self.blocking,
        )?);
        Ok(())
    }

    /// The TLS listeners to start with (feature `tls`).
    #[cfg(feature = "tls")]
    fn tls_listeners(&mut self) -> io::Result<TlsListeners> {
        match &mut self.tls {
            Some(tls) => tls.listeners(bind_tcp),
            None => Ok((None, None)),
        }
    }

    /// The TLS listeners to start with: none without the `tls` feature.
    #[cfg(not(feature = "tls"))]
    fn tls_listeners(&mut self) -> io::Result<TlsListeners> {
        Ok((None, None))
    }

    /// Stops listening and closes every connection, keeping the data (a
    /// cluster node failing); [`relisten`](MockRedis::relisten) brings it back.
    pub(super) fn stop_listening(&mut self) {
        drop(self.running.take());
    }

    /// Whether the server listens (not stopped by `stop_listening`).
    pub(super) fn is_listening(&self) -> bool {
        self.running.is_some()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl std::fmt::Debug for MockRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockRedis")
            .field("addr", &self.addr)
            .field("unix_path", &self.unix_path())
            .finish_non_exhaustive()
    }
}

impl Drop for MockRedis {
    fn drop(&mut self) {
        // A script looping forever would keep its connection task alive.
        #[cfg(feature = "scripting")]
        self.shared.busy.abort();
        // Stop the loop first so the socket file is not recreated.
        drop(self.running.take());
        if !std::thread::panicking() {
            if let Err(report) = self.shared.mocks.verify() {
                panic!("{report}");
            }
        }
    }
}

/// Percent-encodes every byte but URL's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`), so a password is safe in a URL's userinfo.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Binds like Redis: `SO_REUSEADDR` so a restarted server gets its port back.
pub(super) fn bind_tcp(addr: SocketAddr) -> io::Result<StdTcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    // SO_REUSEADDR lets restart() rebind the port while its old connections
    // sit in TIME_WAIT. For port 0 it is set after bind(): set before, it
    // makes the kernel's search for a free ephemeral port ~300x slower when
    // thousands of loopback ports are in TIME_WAIT (docs/BENCHMARKS.md),
    // while set after, the listener and its connections still carry it.
    #[cfg(unix)]
    if addr.port() != 0 {
        socket.set_reuse_address(true)?;
    }
    socket.bind(&addr.into())?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Configures a [`MockRedis`] before starting it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mock_redis::MockRedis;
///
/// let server = MockRedis::builder()
///     .bind("127.0.0.1:0".parse().unwrap())
///     .redis_version("7.2.4")
///     .requirepass("secret")
///     .start()
///     .await;
/// # drop(server);
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until `start` or `start_blocking` is called"]
pub struct Builder {
    addr: Option<SocketAddr>,
    listener: Option<StdTcpListener>,
    unix: UnixChoice,
    config: Config,
    strict: bool,
    no_recording: bool,
    published_log: Option<usize>,
    protected_mode: Option<bool>,
    maxclients: Option<u32>,
    #[cfg(feature = "fixtures")]
    replay: Option<PathBuf>,
    /// ACL users (`user` directives): name and rules.
    users: Vec<(String, String)>,
    aclfile: Option<PathBuf>,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<super::tls::TlsOptions>,
}

#[derive(Debug, Default)]
enum UnixChoice {
    #[default]
    None,
    TempDir,
    Path(PathBuf),
}

impl Builder {
    /// Listens on this address instead of `127.0.0.1:0`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().bind("127.0.0.1:0".parse().unwrap()).start().await;
    /// assert_ne!(server.port(), 0);
    /// # }
    /// ```
    pub fn bind(mut self, addr: SocketAddr) -> Builder {
        self.addr = Some(addr);
        self
    }

    /// Serves on a listener the test already bound (for a port chosen in advance).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let port = listener.local_addr().unwrap().port();
    /// let server = mock_redis::MockRedis::builder().listener(listener).start().await;
    /// assert_eq!(server.port(), port);
    /// # }
    /// ```
    pub fn listener(mut self, listener: StdTcpListener) -> Builder {
        self.listener = Some(listener);
        self
    }

    /// Also listens on a Unix socket in a temporary directory the handle
    /// owns and removes on drop; see [`MockRedis::unix_path`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().unix_socket().start().await;
    /// assert!(server.unix_path().unwrap().ends_with("redis.sock"));
    /// # }
    /// ```
    pub fn unix_socket(mut self) -> Builder {
        self.unix = UnixChoice::TempDir;
        self
    }

    /// Also listens on a Unix socket at `path` (replacing a stale socket file).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("r.sock");
    /// let server = mock_redis::MockRedis::builder().unix_socket_at(&path).start().await;
    /// assert_eq!(server.unix_path(), Some(path.as_path()));
    /// # }
    /// ```
    pub fn unix_socket_at(mut self, path: impl Into<PathBuf>) -> Builder {
        self.unix = UnixChoice::Path(path.into());
        self
    }

    /// The version `HELLO` and `INFO` report, and the behaviour to follow
    /// where versions differ (`CLIENT SETINFO` exists from 7.2). Default `7.0.15`.
    ///
    /// ```
    /// let builder = mock_redis::MockRedis::builder().redis_version("6.2.14");
    /// # drop(builder);
    /// ```
    pub fn redis_version(mut self, version: impl Into<String>) -> Builder {
        self.config.redis_version = version.into();
        self
    }

    /// Requires clients to `AUTH` with this password (`requirepass`).
    ///
    /// ```
    /// let builder = mock_redis::MockRedis::builder().requirepass("secret");
    /// # drop(builder);
    /// ```
    pub fn requirepass(mut self, password: impl Into<Bytes>) -> Builder {
        self.config.requirepass = Some(password.into());
        self
    }

    /// Adds an ACL user, as redis.conf's `user` directive does: `rules`
    /// are `ACL SETUSER` rules separated by spaces (`on >pw ~cache:* +@read`;
    /// a user starts `off` with no permissions, and a selector may span
    /// words: `(~tmp:* +set)`). Naming `default` replaces the default
    /// user's rules. Invalid rules make [`Builder::try_start`] fail (and
    /// [`Builder::start`] panic) with Redis's error text. Connect as the
    /// user with [`MockRedis::url_for`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::builder()
    ///     .user("alice", "on >pw ~cache:* +@read +@write")
    ///     .start()
    ///     .await;
    /// let client = redis::Client::open(server.url_for("alice", "pw"))?;
    /// let mut conn = client.get_multiplexed_async_connection().await?;
    /// let () = redis::cmd("SET").arg("cache:1").arg("x").query_async(&mut conn).await?;
    /// let denied = redis::cmd("SET").arg("other").arg("x").query_async::<()>(&mut conn).await;
    /// assert_eq!(denied.unwrap_err().code(), Some("NOPERM"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn user(mut self, name: impl Into<String>, rules: impl Into<String>) -> Builder {
        self.users.push((name.into(), rules.into()));
        self
    }

    /// Loads the users from an ACL file at start (`aclfile`), which
    /// `ACL LOAD` reloads and `ACL SAVE` rewrites. As in Redis, it cannot
    /// be combined with [`Builder::user`]; a file with errors makes the
    /// start fail with Redis's text.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("users.acl");
    /// std::fs::write(&path, "user bob on >pw ~* +@all\n").unwrap();
    /// let server = mock_redis::MockRedis::builder().aclfile(&path).start().await;
    /// # drop(server);
    /// # }
    /// ```
    pub fn aclfile(mut self, path: impl Into<PathBuf>) -> Builder {
        self.aclfile = Some(path.into());
        self
    }

    /// Strict mode: commands no mock matches get
    /// `-ERR mock-redis: no mock matched 'GET' 'foo'` and fail verification,
    /// instead of going to the engine. The commands clients send on connect
    /// (`HELLO`, `AUTH`, `SELECT`, `PING`, `CLIENT SETINFO/SETNAME/TRACKING`,
    /// `INFO`, `COMMAND`, `QUIT`, `RESET`) still reach the engine unless a
    /// mock matches them. See also [`MockRedis::set_strict`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let server = mock_redis::MockRedis::builder().strict().start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// let err = redis::cmd("GET").arg("foo").query_async::<Option<String>>(&mut conn).await.unwrap_err();
    /// assert!(err.to_string().contains("mock-redis: no mock matched 'GET' 'foo'"));
    /// assert!(server.try_verify().is_err());
    /// server.reset(); // forget it, or dropping the server panics
    /// # Ok(())
    /// # }
    /// ```
    pub fn strict(mut self) -> Builder {
        self.strict = true;
        self
    }

    /// Whether to record every command in the journal
    /// ([`MockRedis::received_commands`]); on by default. Turn it off for
    /// long-running servers and benchmarks.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::builder().record_commands(false).start_blocking();
    /// # drop(server);
    /// ```
    pub fn record_commands(mut self, on: bool) -> Builder {
        self.no_recording = !on;
        self
    }

    /// How many published messages [`MockRedis::published`] keeps: the
    /// newest `messages` (default 10,000; 0 keeps none), and never more
    /// than 64 MiB of channel names and payloads (the newest message
    /// always). Older messages are forgotten first.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::builder().published_log(2).start_blocking();
    /// let mut conn = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    /// for m in ["1", "2", "3"] {
    ///     let _: i64 = redis::cmd("PUBLISH").arg("c").arg(m).query(&mut conn).unwrap();
    /// }
    /// assert_eq!(server.published_on("c"), ["2", "3"]);
    /// ```
    pub fn published_log(mut self, messages: usize) -> Builder {
        self.published_log = Some(messages);
        self
    }

    /// Redis's protected mode (on by default, as `protected-mode yes`):
    /// while no password is set, a TCP client connecting from any address
    /// but exactly `127.0.0.1` or `::1` gets Redis's `-DENIED ...` error
    /// and is closed (Unix socket clients are local). It matters only when
    /// the server listens on another interface ([`bind`](Builder::bind)):
    /// turn it off, or set a password, to serve other hosts or containers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder()
    ///     .bind("0.0.0.0:0".parse().unwrap())
    ///     .protected_mode(false)
    ///     .start()
    ///     .await;
    /// # drop(server);
    /// # }
    /// ```
    pub fn protected_mode(mut self, on: bool) -> Builder {
        self.protected_mode = Some(on);
        self
    }

    /// `maxclients` (default 10,000, as Redis): a connection beyond it gets
    /// `-ERR max number of clients reached` and is closed. `CONFIG SET
    /// maxclients` changes it at runtime.
    ///
    /// ```
    /// use std::io::Read;
    /// let server = mock_redis::MockRedis::builder().maxclients(1).start_blocking();
    /// let mut first = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    /// let _: String = redis::cmd("PING").query(&mut first).unwrap(); // registered
    /// let mut second = std::net::TcpStream::connect(server.addr()).unwrap();
    /// let mut refusal = String::new();
    /// second.read_to_string(&mut refusal).unwrap();
    /// assert_eq!(refusal, "-ERR max number of clients reached\r\n");
    /// # drop(first);
    /// ```
    pub fn maxclients(mut self, n: u32) -> Builder {
        self.maxclients = Some(n.max(1));
        self
    }

    /// Serves a recording back (a fixture file that
    /// [`Recorder`](crate::record::Recorder) or `mock-redis --record-to`
    /// wrote, or any fixture file) in strict mode: a command no recorded
    /// mock answers gets strict mode's error, naming the closest recorded
    /// request. The file is read when the server starts; a bad file is an
    /// error of [`try_start`](Builder::try_start) (`InvalidData`, with its
    /// line) and nothing listens. Feature `fixtures`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> redis::RedisResult<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("session.toml");
    /// std::fs::write(&path, "[[mock]]\nexact_args = [\"GET\", \"user:1\"]\nreply = \"alice\"\n").unwrap();
    /// let server = mock_redis::MockRedis::builder().replay(&path).start().await;
    /// let mut conn = redis::Client::open(server.url())?.get_multiplexed_async_connection().await?;
    /// let alice: String = redis::cmd("GET").arg("user:1").query_async(&mut conn).await?;
    /// assert_eq!(alice, "alice");
    /// let err = redis::cmd("GET").arg("user:2").query_async::<String>(&mut conn).await.unwrap_err();
    /// assert_eq!(
    ///     err.detail(),
    ///     Some("mock-redis: no mock matched 'GET' 'user:2'; closest recorded request: 'GET' 'user:1'")
    /// );
    /// server.reset(); // the refusal fails verification: forget it
    ///
    /// std::fs::write(&path, "[[mock]]\nexact_args = [\"GET\"]\nreply = { nil = fals }\n").unwrap();
    /// let err = mock_redis::MockRedis::builder().replay(&path).try_start().await.unwrap_err();
    /// assert!(err.to_string().contains("session.toml:3:"), "{err}");
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "fixtures")]
    pub fn replay(mut self, path: impl Into<PathBuf>) -> Builder {
        self.replay = Some(path.into());
        self
    }

    /// Starts the server on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// If binding fails or there is no runtime; see [`Builder::try_start`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = mock_redis::MockRedis::builder().start().await;
    /// # drop(server);
    /// # }
    /// ```
    pub async fn start(self) -> MockRedis {
        self.try_start()
            .await
            .expect("mock-redis: cannot start the server")
    }

    /// Starts the server on the current tokio runtime, returning bind errors.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let err = mock_redis::MockRedis::builder()
    ///     .bind(taken.local_addr().unwrap())
    ///     .try_start()
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// # }
    /// ```
    pub async fn try_start(self) -> io::Result<MockRedis> {
        self.launch(false)
    }

    /// Starts the server on a thread of its own with its own runtime.
    ///
    /// # Panics
    ///
    /// If binding fails; see [`Builder::try_start_blocking`].
    ///
    /// ```
    /// let server = mock_redis::MockRedis::builder().start_blocking();
    /// # drop(server);
    /// ```
    pub fn start_blocking(self) -> MockRedis {
        self.try_start_blocking()
            .expect("mock-redis: cannot start the server")
    }

    /// Starts the server on a thread of its own, returning bind errors.
    ///
    /// ```
    /// let server = mock_redis::MockRedis::builder().try_start_blocking().unwrap();
    /// # drop(server);
    /// ```
    pub fn try_start_blocking(self) -> io::Result<MockRedis> {
        self.launch(true)
    }

    fn launch(self, blocking: bool) -> io::Result<MockRedis> {
        self.launch_sharing(blocking, None)
    }

    /// Starts the server; with `engine_of`, serving that server's engine
    /// instead of a new one (a cluster replica).
    pub(super) fn launch_sharing(
        self,
        blocking: bool,
        engine_of: Option<&MockRedis>,
    ) -> io::Result<MockRedis> {
        #[cfg(feature = "fixtures")]
        let replay = match &self.replay {
            Some(path) => Some(
                crate::fixture::Fixture::from_file(path)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
            ),
            None => None,
        };
        let tcp = match self.listener {
            Some(listener) => listener,
            None => bind_tcp(
                self.addr
                    .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            )?,
        };
        let addr = tcp.local_addr()?;
        #[cfg(feature = "tls")]
        let tls = match self.tls {
            Some(options) => Some(super::tls::ServerTls::new(options, addr.ip())?),
            None => None,
        };
        let unix = match self.unix {
            UnixChoice::None => None,
            UnixChoice::TempDir => {
                let dir = tempfile::Builder::new().prefix("mock-redis").tempdir()?;
                Some(UnixSocket {
                    path: dir.path().join("redis.sock"),
                    _dir: Some(dir),
                })
            }
            UnixChoice::Path(path) => {
                let _ = std::fs::remove_file(&path);
                Some(UnixSocket { path, _dir: None })
            }
        };
        #[cfg(unix)]
        let unix_listener = match &unix {
            Some(u) => Some(std::os::unix::net::UnixListener::bind(&u.path)?),
            None => None,
        };
        #[cfg(not(unix))]
        if unix.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "Unix sockets need a Unix system",
            ));
        }
        let mut config = self.config;
        config.tcp_port = addr.port();
        let recording = !self.no_recording;
        let mut engine = Engine::new(config);
        engine
            .configure_acl(self.users, self.aclfile.as_deref())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        if let Some(messages) = self.published_log {
            engine.pubsub.published.set_limit(messages);
        }
        if let Some(on) = self.protected_mode {
            let _ = engine
                .runtime
                .set_fixed("protected-mode", if on { "yes" } else { "no" });
        }
        if let Some(n) = self.maxclients {
            let _ = engine.runtime.set_fixed("maxclients", &n.to_string());
        }
        engine.apply_client_limits();
        let mocks = MockState::new(self.strict, recording);
        let shared = Arc::new(match engine_of {
            Some(other) => Shared::sharing_engine(&other.shared, mocks, recording),
            None => Shared::new(engine, mocks, recording),
        });
        let mut server = MockRedis {
            shared,
            addr,
            unix,
            blocking,
            running: None,
            #[cfg(feature = "tls")]
            tls,
        };
        let (tcp_tls, tls) = server.tls_listeners()?;
        let listeners = StdListeners {
            tcp,
            tcp_tls,
            tls,
            #[cfg(unix)]
            unix: unix_listener,
        };
        server.running = Some(Running::start(listeners, server.shared.clone(), blocking)?);
        #[cfg(feature = "fixtures")]
        if let Some(recording) = &replay {
            crate::record::apply_replay(recording, &server);
        }
        Ok(server)
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
