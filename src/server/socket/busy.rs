//! The connection side of busy scripts (`engine/commands/scripting/busy.rs`):
//! a connection never blocks its thread on the engine lock while a script
//! holds it. Before each run it reads the script's state without the lock:
//! under the threshold it waits (asynchronously) for the script to end;
//! past it, the session answers its requests without the engine (`-BUSY`,
//! `SCRIPT KILL`, ...). Connections that arrive meanwhile are answered the
//! same way before they are registered ([`admit_when_idle`]).
//!
//! This needs a thread to run the connection tasks while the script runs
//! on another: a multi-thread runtime (`MOCK_REDIS_THREADS` for the CLI,
//! `#[tokio::test(flavor = "multi_thread")]`). On a current-thread runtime
//! the script holds the runtime's only thread: only connections accepted
//! meanwhile by the watchdog (servers started with `MockRedis::start`) are
//! answered until the script ends.

use std::sync::MutexGuard;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Gone, Shared, Socket};
use crate::engine::Engine;
use crate::engine::commands::scripting::busy::Gate;
use crate::protocol::RequestParser;
use crate::session::{Action, answer_requests};

/// The most a connection not registered yet may send while a script is
/// busy (the default `client-query-buffer-limit`).
const EARLY_INPUT: usize = 1 << 30;

/// Failed `try_lock`s (another thread holds the lock) retried after a
/// yield; later ones after a millisecond. A connection never blocks its
/// thread on the lock: the holder may be a command about to start a
/// script that loops.
const SPINS: u32 = 64;

/// Waits before the next `try_lock`; returns the failures so far.
async fn back_off(spins: u32) -> u32 {
    if spins < SPINS {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    spins.saturating_add(1)
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Socket<'a, S> {
    /// Runs the session under the engine lock, or, while another client's
    /// script holds it, waits or answers without it (see the module docs).
    pub(super) async fn run(&mut self) -> Result<Action, Gone> {
        let shared = self.shared;
        let mut spins = 0;
        loop {
            match shared.busy.gate(self.session.id()) {
                Gate::Open => {
                    if let Some(mut engine) = shared.try_engine() {
                        return Ok(self.session.run(&mut engine, &shared.mocks));
                    }
                    spins = back_off(spins).await;
                }
                Gate::Wait(left) => self.wait_script(Some(left)).await?,
                Gate::Busy => match self.session.answer_busy(&shared.busy) {
                    Some(action) => return Ok(action),
                    None => {
                        self.flush().await?;
                        self.wait_script(None).await?;
                    }
                },
            }
        }
    }

    /// Takes the engine lock outside a run, once no other client's script
    /// runs (without blocking the thread).
    pub(super) async fn engine(&mut self) -> Result<MutexGuard<'a, Engine>, Gone> {
        let shared = self.shared;
        let mut spins = 0;
        loop {
            if shared.busy.gate(self.session.id()) != Gate::Open {
                self.wait_script(None).await?;
                continue;
            }
            if let Some(engine) = shared.try_engine() {
                return Ok(engine);
            }
            spins = back_off(spins).await;
        }
    }

    /// Waits for the running script to end, at most `limit`.
    async fn wait_script(&mut self, limit: Option<std::time::Duration>) -> Result<(), Gone> {
        let shared = self.shared;
        tokio::select! {
            () = shared.busy.wait(limit) => Ok(()),
            _ = self.closer.changed() => Err(Gone),
        }
    }
}

/// Admits and registers a new connection (`admit`, under the engine lock)
/// once no script runs; while one is busy, answers the requests it sends
/// meanwhile. Returns the input not answered yet with what `admit`
/// returned, or `None` when the connection ends (QUIT, a protocol error,
/// the client left).
pub(super) async fn admit_when_idle<S, T>(
    stream: &mut S,
    shared: &Shared,
    admit: impl FnOnce(&mut Engine) -> T,
) -> Option<(BytesMut, T)>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut input = BytesMut::new();
    let mut parser = RequestParser::new();
    let mut output = BytesMut::new();
    let mut spins = 0;
    loop {
        match shared.busy.gate(0) {
            Gate::Open => {
                if let Some(mut engine) = shared.try_engine() {
                    return Some((input, admit(&mut engine)));
                }
                spins = back_off(spins).await;
                continue;
            }
            Gate::Wait(left) => {
                shared.busy.wait(Some(left)).await;
                continue;
            }
            Gate::Busy => {}
        }
        let (action, _) =
            answer_requests(&mut parser, &mut input, &mut output, &shared.busy, 0, false);
        stream.write_all(&output).await.ok()?;
        output.clear();
        match action {
            Some(Action::NeedInput) => {}
            Some(_) => {
                let _ = stream.shutdown().await;
                return None;
            }
            None => {
                shared.busy.wait(None).await;
                continue;
            }
        }
        if input.len() > EARLY_INPUT {
            return None;
        }
        input.reserve(4096);
        tokio::select! {
            read = stream.read_buf(&mut input) => match read {
                Ok(n) if n > 0 => {}
                _ => return None,
            },
            () = shared.busy.wait(None) => {}
        }
    }
}
