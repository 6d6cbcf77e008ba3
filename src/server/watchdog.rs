//! The fallback for a server whose runtime is blocked.
//!
//! [`MockRedis::start`](crate::MockRedis::start) runs the accept loop on
//! the caller's tokio runtime. A *sync* client in a current-thread
//! `#[tokio::test]` blocks that runtime's only thread while it waits for
//! the reply the runtime should produce: without help, the test hangs.
//!
//! One process-wide watchdog thread, started with the first such server,
//! keeps an eye on every running [`Watch`]ed server. The accept loop and
//! the connection tasks bump the server's [`Heartbeat`] whenever they run
//! (the accept loop at least every 100 ms: its expiry tick). When the heartbeat
//! has not moved for [`STALLED`], the runtime is not running the server:
//! the watchdog accepts the connections waiting on the listening sockets
//! itself (it holds duplicates of them) and serves them on its own runtime,
//! on the same shared state, so the client is answered as usual, only
//! late. It says so once per process on stderr and once per server through
//! `tracing`. Serving a connection from the watchdog is harmless even when
//! the runtime was only slow: the connection is the server's all the same
//! (journal, mocks, data), and it closes with the server.
//!
//! The watchdog cannot serve a connection the server's runtime accepted
//! before it blocked (its session belongs to a task that cannot run): when
//! the runtime has not run for [`REPORT_AFTER`] while such connections are
//! open, the watchdog says so on stderr, naming `start_blocking()`, instead
//! of letting the test hang silently.
//!
//! Servers started with `start_blocking()` run on a thread of their own and
//! are not watched.

use std::io::{self, Write as _};
use std::net::TcpListener as StdTcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::heartbeat::Heartbeat;
use super::{Acceptor, Shared, StdListeners, serve_tls, socket};

/// How often the watchdog looks at each server.
const PERIOD: Duration = Duration::from_millis(100);

/// A heartbeat that has not moved for this long (five expiry ticks) means
/// the runtime is not running the server: the watchdog serves new
/// connections.
pub(crate) const STALLED: Duration = Duration::from_millis(500);

/// A runtime stalled this long while connections it accepted are open is
/// reported on stderr.
const REPORT_AFTER: Duration = Duration::from_secs(5);

/// Names the way out, in every message about a blocked runtime.
const HINT: &str = "a sync client under MockRedis::start() in a current-thread tokio runtime \
     blocks the thread the server runs on: use MockRedis::start_blocking() for sync clients";

/// What the watchdog knows of one running server.
pub(crate) struct Watch {
    /// Bumped by the accept loop and the connection tasks when they run.
    pub heartbeat: Arc<Heartbeat>,
    shared: Arc<Shared>,
    /// The TCP address, as `CLIENT LIST` shows it.
    local: String,
    /// Duplicates of the listening sockets (non-blocking, as the originals).
    tcp: StdTcpListener,
    /// `tcp` serves TLS.
    tcp_tls: Option<Acceptor>,
    /// The TLS listener beside a plain `tcp`, and its address.
    tls: Option<(StdTcpListener, Acceptor, String)>,
    #[cfg(unix)]
    unix: Option<(std::os::unix::net::UnixListener, String)>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    stopped: bool,
    /// The connections the watchdog serves.
    served: Vec<JoinHandle<()>>,
}

impl Watch {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The server stops: the watchdog forgets it, and the connections it
    /// serves are aborted. Returns their handles, to wait for their end.
    pub fn stop(&self) -> Vec<JoinHandle<()>> {
        let served = {
            let mut state = self.lock();
            state.stopped = true;
            std::mem::take(&mut state.served)
        };
        for task in &served {
            task.abort();
        }
        served
    }

    /// Accepts every pending connection and serves it here. Returns how
    /// many were taken.
    fn take_over(&self) -> usize {
        let mut taken = self.take_tcp(&self.tcp, self.tcp_tls.as_ref(), &self.local);
        if let Some((tls, acceptor, local)) = &self.tls {
            taken += self.take_tcp(tls, Some(acceptor), local);
        }
        #[cfg(unix)]
        if let Some((unix, path)) = &self.unix {
            loop {
                match unix.accept() {
                    Ok((stream, _)) => {
                        let served = stream
                            .set_nonblocking(true)
                            .and_then(|()| tokio::net::UnixStream::from_std(stream));
                        match served {
                            Ok(stream) => {
                                let name = format!("{path}:0");
                                self.serve(socket::serve(
                                    stream,
                                    None,
                                    name.clone(),
                                    name,
                                    self.shared.clone(),
                                    None,
                                ));
                                taken += 1;
                            }
                            Err(e) => tracing::warn!(%e, "cannot serve a connection"),
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        tracing::warn!(%e, "accept failed");
                        break;
                    }
                }
            }
        }
        taken
    }

    /// Accepts every connection pending on one TCP listener and serves it
    /// here, over TLS with an acceptor.
    // Without the `tls` feature the acceptor is uninhabited.
    #[cfg_attr(not(feature = "tls"), allow(unreachable_code))]
    fn take_tcp(&self, listener: &StdTcpListener, tls: Option<&Acceptor>, local: &str) -> usize {
        let mut taken = 0;
        loop {
            match listener.accept() {
                Ok((stream, peer)) => {
                    let served = stream
                        .set_nonblocking(true)
                        .and_then(|()| stream.set_nodelay(true))
                        .and_then(|()| tokio::net::TcpStream::from_std(stream));
                    let stream = match served {
                        Ok(stream) => stream,
                        Err(e) => {
                            tracing::warn!(%e, "cannot serve a connection");
                            continue;
                        }
                    };
                    let (local, shared) = (local.to_string(), self.shared.clone());
                    match tls {
                        None => self.serve(socket::serve(
                            stream,
                            Some(peer.ip()),
                            peer.to_string(),
                            local,
                            shared,
                            None,
                        )),
                        Some(acceptor) => self.serve(serve_tls(
                            acceptor.clone(),
                            stream,
                            peer,
                            local,
                            shared,
                            None,
                        )),
                    }
                    taken += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::warn!(%e, "accept failed");
                    break;
                }
            }
        }
        taken
    }

    /// Spawns a connection task on the watchdog's runtime, unless the
    /// server has stopped meanwhile.
    fn serve(&self, connection: impl Future<Output = ()> + Send + 'static) {
        let mut state = self.lock();
        if state.stopped {
            return;
        }
        state.served.retain(|task| !task.is_finished());
        state.served.push(tokio::spawn(connection));
    }
}

/// Servers registered since the watchdog last looked, and its wake-up call.
struct Registry {
    new: Mutex<Vec<Weak<Watch>>>,
    wake: Notify,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Starts watching a server that runs on the caller's runtime; the
/// listeners must already be non-blocking. Starts the watchdog thread the
/// first time.
// Without the `tls` feature the acceptor is uninhabited.
#[cfg_attr(not(feature = "tls"), allow(unreachable_code))]
pub(crate) fn watch(listeners: &StdListeners, shared: Arc<Shared>) -> io::Result<Arc<Watch>> {
    let tcp = listeners.tcp.try_clone()?;
    let local = tcp.local_addr()?.to_string();
    let tls = match &listeners.tls {
        Some((l, acceptor)) => Some((
            l.try_clone()?,
            acceptor.clone(),
            l.local_addr()?.to_string(),
        )),
        None => None,
    };
    #[cfg(unix)]
    let unix = match &listeners.unix {
        Some(l) => {
            let path = l
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| p.display().to_string()))
                .unwrap_or_default();
            Some((l.try_clone()?, path))
        }
        None => None,
    };
    let watch = Arc::new(Watch {
        heartbeat: Arc::default(),
        shared,
        local,
        tcp,
        tcp_tls: listeners.tcp_tls.clone(),
        tls,
        #[cfg(unix)]
        unix,
        state: Mutex::default(),
    });
    let registry = registry()?;
    registry
        .new
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Arc::downgrade(&watch));
    registry.wake.notify_one();
    Ok(watch)
}

/// The registry, with the watchdog thread started.
fn registry() -> io::Result<&'static Registry> {
    static STARTED: OnceLock<io::Result<()>> = OnceLock::new();
    let registry = REGISTRY.get_or_init(|| Registry {
        new: Mutex::new(Vec::new()),
        wake: Notify::new(),
    });
    let started = STARTED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("mock-redis-watchdog".into())
            .spawn(move || runtime.block_on(run(registry)))?;
        Ok(())
    });
    match started {
        Ok(()) => Ok(registry),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}

/// One watched server, with what the watchdog saw of it.
struct Entry {
    watch: Weak<Watch>,
    /// The heartbeat at the last change, and when it changed.
    seen: u64,
    since: Instant,
    /// Whether this server's blocked runtime was already reported.
    warned: bool,
    reported: bool,
}

impl Entry {
    /// Looks at the server; false once it is gone.
    fn check(&mut self, now: Instant) -> bool {
        let Some(watch) = self.watch.upgrade() else {
            return false;
        };
        if watch.lock().stopped {
            return false;
        }
        let beat = watch.heartbeat.beats();
        if beat != self.seen {
            self.seen = beat;
            self.since = now;
            self.reported = false;
            return true;
        }
        let stalled = now.duration_since(self.since);
        if stalled >= STALLED && watch.take_over() > 0 && !self.warned {
            self.warned = true;
            tracing::warn!(
                addr = %watch.local,
                "the server's tokio runtime has not run for {} ms: serving its new connections \
                 from the watchdog thread ({HINT})",
                stalled.as_millis()
            );
            static ONCE: AtomicBool = AtomicBool::new(false);
            if !ONCE.swap(true, Ordering::Relaxed) {
                report(&format!(
                    "mock-redis: the tokio runtime of the server at {} has not run for {} ms: \
                     its new connections are served from a fallback thread, late. Probably {HINT}.",
                    watch.local,
                    stalled.as_millis()
                ));
            }
        }
        let live = watch.heartbeat.live();
        if stalled >= REPORT_AFTER && live > 0 && !self.reported {
            self.reported = true;
            let message = format!(
                "mock-redis: the tokio runtime of the server at {} has not run for {} s; \
                 the {live} connection(s) it accepted get no reply until it does. Probably {HINT}.",
                watch.local,
                stalled.as_secs()
            );
            tracing::error!("{message}");
            report(&message);
        }
        true
    }
}

/// Writes to the process's stderr, past the test harness's capture (which
/// would show it only with a test that may be long gone): a test that
/// hangs should say why where the user looks.
fn report(message: &str) {
    let _ = writeln!(io::stderr(), "{message}");
}

/// The watchdog thread's loop: sleeps while no server runs.
async fn run(registry: &'static Registry) {
    let mut servers: Vec<Entry> = Vec::new();
    loop {
        let now = Instant::now();
        servers.extend(
            registry
                .new
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain(..)
                .map(|watch| Entry {
                    watch,
                    seen: 0,
                    since: now,
                    warned: false,
                    reported: false,
                }),
        );
        servers.retain_mut(|entry| entry.check(now));
        if servers.is_empty() {
            registry.wake.notified().await;
        } else {
            tokio::time::sleep(PERIOD).await;
        }
    }
}
