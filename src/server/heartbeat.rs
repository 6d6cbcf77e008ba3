//! A server's heartbeat: the accept loop and the connection tasks of a
//! server on the caller's runtime bump it whenever they run, and count the
//! connections that runtime serves; the watchdog (`watchdog.rs`) reads both
//! to tell a blocked runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Beats and live connections of one server.
#[derive(Debug, Default)]
pub(crate) struct Heartbeat {
    beats: AtomicU64,
    live: AtomicUsize,
}

impl Heartbeat {
    /// One of the server's tasks runs.
    #[inline]
    pub fn beat(&self) {
        self.beats.fetch_add(1, Ordering::Relaxed);
    }

    /// Beats so far.
    pub fn beats(&self) -> u64 {
        self.beats.load(Ordering::Relaxed)
    }

    /// Connections the server's runtime serves now.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Counts a connection the server's runtime serves, until the returned
    /// pulse is dropped; the connection task beats through it.
    pub fn connection(self: &Arc<Self>) -> Pulse {
        self.live.fetch_add(1, Ordering::Relaxed);
        Pulse(self.clone())
    }
}

/// A connection the server's runtime serves: counted while it lives.
pub(crate) struct Pulse(Arc<Heartbeat>);

impl Pulse {
    /// The connection task runs.
    #[inline]
    pub fn beat(&self) {
        self.0.beat();
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::Relaxed);
    }
}
