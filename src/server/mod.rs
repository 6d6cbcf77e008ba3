//! The server: the [`MockRedis`] handle, its [`Builder`], the accept loop and
//! the per-connection tasks.
//!
//! `handle.rs` holds the handle and the builder, `mocks.rs` and
//! `state_api.rs` the handle's mock and state methods, `lifecycle.rs` what
//! the handle sees of SHUTDOWN, `db_handle.rs` the
//! per-database handle, `socket.rs` one connection's I/O (generic over the
//! stream: TCP, Unix, TLS), `tls.rs` and `tls_api.rs` TLS (feature `tls`),
//! `watchdog.rs` the
//! fallback that serves a server whose runtime is blocked (`heartbeat.rs`
//! tells it the server runs); this file the
//! shared state, the accept loop and the [`Running`] loop's lifetime.

mod cluster;
mod db_handle;
mod handle;
mod heartbeat;
mod lifecycle;
mod listing;
mod mocks;
mod protected;
mod socket;
mod state_api;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
mod tls_api;
mod watchdog;

pub use cluster::{ClusterBuilder, MockRedisCluster, SlotMigration};
pub use db_handle::{DbHandle, RedisString, StateError, StreamEntry};
pub use handle::{Builder, MockRedis};
#[cfg(feature = "tls")]
pub use tls::{ClientCertificate, TlsClientAuth};

use std::io;
use std::net::TcpListener as StdTcpListener;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::engine::Engine;
use crate::engine::commands::shutdown::Phase;
use crate::mock::MockState;

/// What turns a TCP connection into a TLS one (feature `tls`); without the
/// feature, a type with no values, so the TLS paths below compile to nothing.
#[cfg(feature = "tls")]
pub(crate) type Acceptor = tokio_rustls::TlsAcceptor;
/// What turns a TCP connection into a TLS one (feature `tls`); without the
/// feature, a type with no values, so the TLS paths below compile to nothing.
#[cfg(not(feature = "tls"))]
#[derive(Clone, Debug)]
pub(crate) enum Acceptor {}

/// The TLS side of [`StdListeners`]: its `tcp_tls` and `tls`.
pub(crate) type TlsListeners = (Option<Acceptor>, Option<(StdTcpListener, Acceptor)>);

#[cfg(feature = "tls")]
use tls::serve as serve_tls;

/// Without the `tls` feature there is no acceptor to call this with.
#[cfg(not(feature = "tls"))]
async fn serve_tls(
    acceptor: Acceptor,
    _stream: tokio::net::TcpStream,
    _peer: std::net::SocketAddr,
    _local: String,
    _shared: Arc<Shared>,
    _pulse: Option<heartbeat::Pulse>,
) {
    match acceptor {}
}

/// State shared by the handle, the accept loop and every connection.
pub(crate) struct Shared {
    /// The engine; a cluster replica shares its master's (`cluster.rs`).
    engine: Arc<Mutex<Engine>>,
    /// Mounted mocks, the journal, strict mode and faults; shared with the
    /// scoped guards ([`crate::MockGuard`]), which need nothing else.
    pub(crate) mocks: Arc<MockState>,
    /// Whether the journal records, as last given to `mocks` (the handle
    /// says `None` for the journal while it is off).
    pub(crate) recording: AtomicBool,
    /// The running script, read without the engine lock (`socket/busy.rs`).
    #[cfg(feature = "scripting")]
    pub(crate) busy: Arc<crate::engine::commands::scripting::busy::Busy>,
}

impl Shared {
    /// The state of a server whose journal records or not (`recording`,
    /// as given to `mocks`).
    pub(crate) fn new(engine: Engine, mocks: MockState, recording: bool) -> Shared {
        Shared {
            #[cfg(feature = "scripting")]
            busy: engine.scripting.busy.clone(),
            engine: Arc::new(Mutex::new(engine)),
            mocks: Arc::new(mocks),
            recording: AtomicBool::new(recording),
        }
    }

    /// The state of a server with its own mocks and journal that serves
    /// `other`'s engine (a cluster replica: its data is its master's).
    pub(crate) fn sharing_engine(other: &Shared, mocks: MockState, recording: bool) -> Shared {
        Shared {
            #[cfg(feature = "scripting")]
            busy: other.busy.clone(),
            engine: other.engine.clone(),
            mocks: Arc::new(mocks),
            recording: AtomicBool::new(recording),
        }
    }

    /// The engine itself, for a cluster's PUBLISH broadcast.
    pub(crate) fn engine_arc(&self) -> &Arc<Mutex<Engine>> {
        &self.engine
    }

    /// Locks the engine. Never held across an `.await`.
    pub(crate) fn engine(&self) -> MutexGuard<'_, Engine> {
        // A panic inside one command must not take the whole server down.
        #[cfg_attr(not(feature = "scripting"), allow(unused_mut))]
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        #[cfg(feature = "scripting")]
        self.busy.apply_deferred(&mut engine);
        engine
    }

    /// One active-expiry cycle. With scripting, skipped while another
    /// thread holds the lock (a busy script may hold it for long: the loop
    /// must not block its thread); the next tick comes soon enough.
    fn expire_cycle(&self) {
        #[cfg(feature = "scripting")]
        if let Some(mut engine) = self.try_engine() {
            engine.active_expire_cycle();
        }
        #[cfg(not(feature = "scripting"))]
        self.engine().active_expire_cycle();
    }

    /// Locks the engine unless another thread holds the lock.
    #[cfg(feature = "scripting")]
    pub(crate) fn try_engine(&self) -> Option<MutexGuard<'_, Engine>> {
        let mut engine = match self.engine.try_lock() {
            Ok(engine) => engine,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        self.busy.apply_deferred(&mut engine);
        Some(engine)
    }
}

/// The sockets a server listens on, before they join a runtime.
struct StdListeners {
    tcp: StdTcpListener,
    /// `tcp` serves TLS (`Builder::tls` without a separate TLS port).
    tcp_tls: Option<Acceptor>,
    /// A second TCP listener serving TLS, beside a plain `tcp`
    /// (redis-server's `tls-port`).
    tls: Option<(StdTcpListener, Acceptor)>,
    #[cfg(unix)]
    unix: Option<std::os::unix::net::UnixListener>,
}

impl StdListeners {
    /// Duplicates of the listening sockets, so the handle can shut them down
    /// synchronously while the accept loop owns the originals.
    #[cfg(unix)]
    fn shutdown_handles(&self) -> Vec<std::os::fd::OwnedFd> {
        use std::os::fd::AsFd;
        let mut fds = Vec::new();
        if let Ok(fd) = self.tcp.as_fd().try_clone_to_owned() {
            fds.push(fd);
        }
        if let Some((tls, _)) = &self.tls {
            if let Ok(fd) = tls.as_fd().try_clone_to_owned() {
                fds.push(fd);
            }
        }
        if let Some(unix) = &self.unix {
            if let Ok(fd) = unix.as_fd().try_clone_to_owned() {
                fds.push(fd);
            }
        }
        fds
    }
}

/// Accepts connections until `stop` fires or SHUTDOWN runs, then closes
/// the listeners and ends every connection task before returning. With a
/// `watch` (a server on the caller's runtime), the loop and its
/// connections beat its heartbeat whenever they run.
async fn accept_loop(
    listeners: StdListeners,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
    watch: Option<Arc<watchdog::Watch>>,
) {
    let heartbeat = watch.as_ref().map(|w| w.heartbeat.clone());
    let mut shutdown = shared.engine().shutdown.subscribe();
    let tcp = match tokio::net::TcpListener::from_std(listeners.tcp) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%e, "cannot register the TCP listener");
            return;
        }
    };
    let tcp_tls = listeners.tcp_tls;
    let tls = match listeners.tls {
        Some((l, acceptor)) => match tokio::net::TcpListener::from_std(l) {
            Ok(l) => {
                let local = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
                Some((l, acceptor, local))
            }
            Err(e) => {
                tracing::error!(%e, "cannot register the TLS listener");
                None
            }
        },
        None => None,
    };
    #[cfg(unix)]
    let unix = match listeners.unix {
        Some(l) => match tokio::net::UnixListener::from_std(l) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::error!(%e, "cannot register the Unix listener");
                None
            }
        },
        None => None,
    };
    let local = tcp.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let mut connections = JoinSet::new();
    let mut backoff = AcceptBackoff::default();
    // Active expiry, as Redis's serverCron runs it (hz 10). The first cycle
    // comes one period after the start, as in Redis: an interval's immediate
    // first tick is only delivered when the timer driver next turns, which
    // can fall in the middle of a client's first commands and remove a key
    // Redis would still count.
    let period = std::time::Duration::from_millis(100);
    let mut expiry = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let pulse = || heartbeat.as_ref().map(|h| h.connection());
    let mut shut_down = false;
    loop {
        if let Some(heartbeat) = &heartbeat {
            heartbeat.beat();
        }
        tokio::select! {
            biased;
            _ = &mut stop => break,
            () = shutdown_requested(&mut shutdown) => {
                shut_down = true;
                break;
            }
            _ = expiry.tick() => shared.expire_cycle(),
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = tcp.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    backoff.succeeded();
                    match &tcp_tls {
                        None => connections.spawn(socket::serve(stream, Some(peer.ip()), peer.to_string(), local.clone(), shared.clone(), pulse())),
                        Some(acceptor) => connections.spawn(serve_tls(acceptor.clone(), stream, peer, local.clone(), shared.clone(), pulse())),
                    };
                }
                Err(e) => backoff.failed(e).await,
            },
            accepted = accept_tls(&tls) => match accepted {
                Ok((stream, peer, acceptor, local)) => {
                    let _ = stream.set_nodelay(true);
                    backoff.succeeded();
                    connections.spawn(serve_tls(acceptor, stream, peer, local, shared.clone(), pulse()));
                }
                Err(e) => backoff.failed(e).await,
            },
            accepted = accept_unix(&unix) => match accepted {
                Ok((stream, path)) => {
                    backoff.succeeded();
                    connections.spawn(socket::serve(stream, None, format!("{path}:0"), format!("{path}:0"), shared.clone(), pulse()));
                }
                Err(e) => backoff.failed(e).await,
            },
        }
    }
    if shut_down {
        // The watchdog and the handle hold duplicates of the listening
        // sockets: shut the sockets themselves, so the ports refuse
        // connections at once, and stop the watchdog's connections.
        let _ = socket2::SockRef::from(&tcp).shutdown(std::net::Shutdown::Both);
        if let Some((l, _, _)) = &tls {
            let _ = socket2::SockRef::from(l).shutdown(std::net::Shutdown::Both);
        }
        #[cfg(unix)]
        if let Some(l) = &unix {
            let _ = socket2::SockRef::from(l).shutdown(std::net::Shutdown::Both);
        }
        if let Some(watch) = &watch {
            for served in watch.stop() {
                let _ = served.await;
            }
        }
    }
    drop(tcp);
    drop(tls);
    #[cfg(unix)]
    drop(unix);
    connections.shutdown().await;
    if shut_down {
        shared.engine().shutdown.send_replace(Phase::Done);
    }
}

/// Returns once SHUTDOWN has run.
async fn shutdown_requested(phase: &mut tokio::sync::watch::Receiver<Phase>) {
    loop {
        if *phase.borrow_and_update() == Phase::Requested {
            return;
        }
        if phase.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// Accepts on the second TCP listener, serving TLS; never returns without one.
// Without the `tls` feature the acceptor is uninhabited.
#[cfg_attr(not(feature = "tls"), allow(unreachable_code, unused_variables))]
async fn accept_tls(
    tls: &Option<(tokio::net::TcpListener, Acceptor, String)>,
) -> io::Result<(
    tokio::net::TcpStream,
    std::net::SocketAddr,
    Acceptor,
    String,
)> {
    match tls {
        Some((l, acceptor, local)) => {
            let (stream, peer) = l.accept().await?;
            Ok((stream, peer, acceptor.clone(), local.clone()))
        }
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
async fn accept_unix(
    unix: &Option<tokio::net::UnixListener>,
) -> io::Result<(tokio::net::UnixStream, String)> {
    match unix {
        Some(l) => {
            let (stream, _) = l.accept().await?;
            let path = l
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
                .unwrap_or_default();
            Ok((stream, path))
        }
        None => std::future::pending().await,
    }
}

/// How the accept loop waits after a failed accept (out of file
/// descriptors: EMFILE, ENFILE): 5 ms after the first failure, doubling
/// with each consecutive one up to 1 s, so the loop neither spins nor
/// floods the log. The first failure of a streak is logged (warning), the
/// others at debug level; the next successful accept logs how many failed.
#[derive(Debug, Default)]
pub(crate) struct AcceptBackoff {
    /// Consecutive failures.
    failures: u32,
}

impl AcceptBackoff {
    const FIRST: std::time::Duration = std::time::Duration::from_millis(5);
    const MAX: std::time::Duration = std::time::Duration::from_secs(1);

    /// Counts a failure; returns how long to wait before accepting again,
    /// and whether to log it as a warning.
    pub(crate) fn next(&mut self) -> (std::time::Duration, bool) {
        let wait = Self::FIRST
            .saturating_mul(1u32 << self.failures.min(16))
            .min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        (wait, self.failures == 1)
    }

    async fn failed(&mut self, e: io::Error) {
        let (wait, warn) = self.next();
        if warn {
            tracing::warn!(%e, "Accepting client connection failed; backing off until it works again");
        } else {
            tracing::debug!(%e, ?wait, "accept failed again");
        }
        tokio::time::sleep(wait).await;
    }

    fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::warn!(
                failures = self.failures,
                "accepting client connections again"
            );
            self.failures = 0;
        }
    }
}

/// Where the accept loop runs.
enum Driver {
    /// A task on the caller's tokio runtime.
    Task(tokio::task::JoinHandle<()>),
    /// A dedicated thread with its own runtime (the blocking entry point).
    Thread(std::thread::JoinHandle<()>),
}

/// A running accept loop and the means to stop it. Dropping it stops the
/// loop: the task is aborted (which drops every connection task with it), or
/// the thread is told to stop and joined.
struct Running {
    driver: Option<Driver>,
    stop: Option<oneshot::Sender<()>>,
    #[cfg(unix)]
    sockets: Vec<std::os::fd::OwnedFd>,
    /// The watchdog's view of a loop on the caller's runtime.
    watch: Option<Arc<watchdog::Watch>>,
}

impl Running {
    fn start(listeners: StdListeners, shared: Arc<Shared>, blocking: bool) -> io::Result<Running> {
        // Non-blocking from the start: the watchdog accepts on duplicates
        // of these sockets, even before the loop first runs.
        listeners.tcp.set_nonblocking(true)?;
        if let Some((tls, _)) = &listeners.tls {
            tls.set_nonblocking(true)?;
        }
        #[cfg(unix)]
        if let Some(unix) = &listeners.unix {
            unix.set_nonblocking(true)?;
        }
        #[cfg(unix)]
        let sockets = listeners.shutdown_handles();
        let (stop, stopped) = oneshot::channel();
        let (driver, watch) = if blocking {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let thread = std::thread::Builder::new()
                .name("mock-redis".into())
                .spawn(move || runtime.block_on(accept_loop(listeners, shared, stopped, None)))?;
            (Driver::Thread(thread), None)
        } else {
            let watch = watchdog::watch(&listeners, shared.clone())?;
            let task = tokio::spawn(accept_loop(listeners, shared, stopped, Some(watch.clone())));
            (Driver::Task(task), Some(watch))
        };
        Ok(Running {
            driver: Some(driver),
            stop: Some(stop),
            #[cfg(unix)]
            sockets,
            watch,
        })
    }

    /// Makes the listening sockets refuse connections at once, even before
    /// the accept loop next runs, and tells the loop to stop. Returns the
    /// connections the watchdog served, aborted.
    fn signal_stop(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        // Stop first: shutting the sockets makes a pending accept fail, and
        // the loop must see the stop before it treats that as an accept
        // error (and backs off).
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        #[cfg(unix)]
        for fd in &self.sockets {
            let _ = socket2::SockRef::from(fd).shutdown(std::net::Shutdown::Both);
        }
        match self.watch.take() {
            Some(watch) => watch.stop(),
            None => Vec::new(),
        }
    }

    /// Stops the loop and waits until every connection task has ended.
    async fn stop(mut self) {
        for served in self.signal_stop() {
            let _ = served.await;
        }
        match self.driver.take() {
            Some(Driver::Task(join)) => {
                let _ = join.await;
            }
            Some(Driver::Thread(thread)) => {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            None => {}
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.signal_stop();
        match self.driver.take() {
            Some(Driver::Task(join)) => join.abort(),
            Some(Driver::Thread(thread)) => {
                let _ = thread.join();
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::AcceptBackoff;

    #[test]
    fn accept_failures_back_off_and_warn_once_per_streak() {
        let mut backoff = AcceptBackoff::default();
        let waits: Vec<(Duration, bool)> = (0..10).map(|_| backoff.next()).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(waits[0], (ms(5), true));
        assert_eq!(waits[1], (ms(10), false));
        assert_eq!(waits[5], (ms(160), false));
        assert_eq!(waits[8], (ms(1000), false), "capped at 1 s");
        assert_eq!(waits[9], (ms(1000), false));
        backoff.succeeded();
        assert_eq!(backoff.next(), (ms(5), true), "a new streak warns again");
    }
}
