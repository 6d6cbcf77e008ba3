//! The server: the [`MockRedis`] handle, its [`Builder`], the accept loop and
//! the per-connection tasks.

mod db_handle;
mod handle;
mod listing;
mod mocks;
mod protected;
mod socket;
mod state_api;

pub use db_handle::{DbHandle, RedisString, StateError};
pub use handle::{Builder, MockRedis};

use std::io;
use std::net::TcpListener as StdTcpListener;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::engine::Engine;
use crate::mock::MockState;

/// State shared by the handle, the accept loop and every connection.
pub(crate) struct Shared {
    engine: Mutex<Engine>,
    /// Mounted mocks, the journal, strict mode and faults; shared with the
    /// scoped guards ([`crate::MockGuard`]), which need nothing else.
    pub(crate) mocks: Arc<MockState>,
}

impl Shared {
    pub(crate) fn new(engine: Engine, mocks: MockState) -> Shared {
        Shared {
            engine: Mutex::new(engine),
            mocks: Arc::new(mocks),
        }
    }

    /// Locks the engine. Never held across an `.await`.
    pub(crate) fn engine(&self) -> MutexGuard<'_, Engine> {
        // A panic inside one command must not take the whole server down.
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sockets a server listens on, before they join a runtime.
struct StdListeners {
    tcp: StdTcpListener,
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
        if let Some(unix) = &self.unix {
            if let Ok(fd) = unix.as_fd().try_clone_to_owned() {
                fds.push(fd);
            }
        }
        fds
    }
}

/// Accepts connections until `stop` fires, then closes the listeners and
/// ends every connection task before returning.
async fn accept_loop(
    listeners: StdListeners,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let tcp = match listeners
        .tcp
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(listeners.tcp))
    {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%e, "cannot register the TCP listener");
            return;
        }
    };
    #[cfg(unix)]
    let unix = match listeners.unix {
        Some(l) => match l
            .set_nonblocking(true)
            .and_then(|()| tokio::net::UnixListener::from_std(l))
        {
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
    // Active expiry, as Redis's serverCron runs it (hz 10). The first cycle
    // comes one period after the start, as in Redis: an interval's immediate
    // first tick is only delivered when the timer driver next turns, which
    // can fall in the middle of a client's first commands and remove a key
    // Redis would still count.
    let period = std::time::Duration::from_millis(100);
    let mut expiry = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            _ = expiry.tick() => shared.engine().active_expire_cycle(),
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = tcp.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(socket::serve(stream, peer.to_string(), local.clone(), shared.clone()));
                }
                Err(e) => accept_failed(e).await,
            },
            accepted = accept_unix(&unix) => match accepted {
                Ok((stream, path)) => {
                    connections.spawn(socket::serve(stream, format!("{path}:0"), format!("{path}:0"), shared.clone()));
                }
                Err(e) => accept_failed(e).await,
            },
        }
    }
    drop(tcp);
    #[cfg(unix)]
    drop(unix);
    connections.shutdown().await;
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

/// Running out of file descriptors must not spin the loop.
async fn accept_failed(e: io::Error) {
    tracing::warn!(%e, "accept failed");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
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
}

impl Running {
    fn start(listeners: StdListeners, shared: Arc<Shared>, blocking: bool) -> io::Result<Running> {
        #[cfg(unix)]
        let sockets = listeners.shutdown_handles();
        let (stop, stopped) = oneshot::channel();
        let driver = if blocking {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let thread = std::thread::Builder::new()
                .name("mock-redis".into())
                .spawn(move || runtime.block_on(accept_loop(listeners, shared, stopped)))?;
            Driver::Thread(thread)
        } else {
            Driver::Task(tokio::spawn(accept_loop(listeners, shared, stopped)))
        };
        Ok(Running {
            driver: Some(driver),
            stop: Some(stop),
            #[cfg(unix)]
            sockets,
        })
    }

    /// Makes the listening sockets refuse connections at once, even before
    /// the accept loop next runs, and tells the loop to stop.
    fn signal_stop(&mut self) {
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
    }

    /// Stops the loop and waits until every connection task has ended.
    async fn stop(mut self) {
        self.signal_stop();
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
