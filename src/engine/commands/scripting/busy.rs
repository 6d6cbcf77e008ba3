//! Busy scripts: what the rest of the server knows of the script running
//! now, outside the engine lock (the script holds that lock while it runs).
//!
//! The engine runs one command at a time under one lock, and a script is
//! one command: a script that loops holds the lock. [`Busy`] is the part of
//! its state that the connections read *without* the lock (Redis's
//! `curr_run_ctx` as `processCommand` and `scriptKill` see it): whether a
//! script runs, for which client, since when, whether it is an EVAL or a
//! function, whether it ran a write command, and the kill switch its Lua
//! hook polls. The script's side ([`Busy::begin`], [`Busy::end`],
//! [`Busy::wrote`]) runs under the lock; the connections' side (the socket
//! layer's gate, `server/socket/busy.rs`) reads it with atomics and one
//! small mutex, never the engine's.
//!
//! The threshold is `busy-reply-threshold` (alias `lua-time-limit`), read
//! when the script starts, measured in **wall time** from that start, as
//! Redis does: the engine clock (frozen or moved forward by a test) does
//! not apply, since the script's own run time is real time.
//!
//! Until the threshold, other connections wait for the script to end (the
//! script is still an atomic command, as in Redis, where the event loop
//! does not run). Past it, each request is answered by [`answer`]: the
//! checks `processCommand` makes before its busy check (unknown command,
//! arity, authentication), then `SCRIPT KILL` / `FUNCTION KILL` (which set
//! the kill switch unless the script wrote), `QUIT`, and `-BUSY` for every
//! other command without Redis's `allow-busy` flag. A command *with* the
//! flag (AUTH, HELLO, MULTI, EXEC, WATCH, FUNCTION STATS, ...) needs the
//! engine: it waits until the script ends (Redis would run it at once),
//! and so do the commands the client sent after it.
//!
//! Commands refused with `-BUSY` inside a MULTI flag the transaction, as in
//! Redis: the flag is recorded here and applied to the client the next time
//! a connection takes the engine lock ([`Busy::apply_deferred`]), before
//! its EXEC can run. Connections closed while the lock is taken are
//! unregistered the same way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Notify;

use super::lua::Control;
use crate::engine::Engine;
use crate::engine::command::{CommandTable, Resolved, flags, full_name};
use crate::engine::util::errors;
use crate::protocol::Reply;

/// The reply to other clients while an EVAL script is busy.
pub(crate) const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// The reply to other clients while a function is busy.
pub(crate) const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
/// SCRIPT KILL / FUNCTION KILL with no script running.
pub(crate) const NOTBUSY: &str = "NOTBUSY No scripts in execution right now.";
/// SCRIPT KILL / FUNCTION KILL once the script wrote.
pub(crate) const UNKILLABLE: &str = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";

/// The running script, as the connections see it.
#[derive(Debug, Default)]
pub(crate) struct Busy {
    /// A script runs (set and cleared under the engine lock).
    running: AtomicBool,
    /// The running script ran a write command.
    wrote: AtomicBool,
    run: Mutex<Option<Run>>,
    /// Woken when a script ends.
    done: Notify,
    /// Something in `deferred`.
    has_deferred: AtomicBool,
    deferred: Mutex<Vec<Deferred>>,
}

/// One running script.
#[derive(Debug)]
struct Run {
    caller: u64,
    started: Instant,
    threshold: Duration,
    /// EVAL (not a function): which BUSY text, which KILL applies.
    eval: bool,
    /// Clients must authenticate (`requirepass` set when it started).
    auth_needed: bool,
    /// The kill switch of the Lua state running it.
    control: Arc<Control>,
}

/// Work for the next holder of the engine lock.
#[derive(Debug)]
enum Deferred {
    /// A command of this client was refused with `-BUSY`: flags its
    /// transaction, if it is in one.
    FlagMulti(u64),
    /// EXEC of this client was refused with `-BUSY`: its transaction is
    /// discarded (Redis's `execCommandAbort`).
    DiscardMulti(u64),
    /// The connection closed while the lock was taken.
    Disconnect(u64),
}

/// What a connection does with its requests now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// No script runs (or it is the connection's own): take the engine.
    Open,
    /// A script runs, under the threshold for this much longer: wait.
    Wait(Duration),
    /// A script is busy past the threshold: answer with [`answer`].
    Busy,
}

/// How [`answer`] answers one request while a script is busy.
#[derive(Debug)]
pub(crate) enum Answer {
    /// This reply, without the engine.
    Reply(Reply),
    /// `+OK`, then close the connection (QUIT).
    Quit,
    /// The command needs the engine: it waits until the script ends.
    Wait,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Busy {
    /// Whether a script runs: one atomic load, the fast path of every
    /// connection's run.
    #[inline]
    pub fn running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// A script starts for client `caller` (under the engine lock), at
    /// `started` (the caller's clock reading).
    pub fn begin(
        &self,
        caller: u64,
        eval: bool,
        threshold_ms: i64,
        auth_needed: bool,
        control: Arc<Control>,
        started: Instant,
    ) {
        let threshold = Duration::from_millis(threshold_ms.max(0) as u64);
        let busy_at = started
            .checked_add(threshold)
            .map_or(NOT_BUSY, |at| nanos_after(control.epoch, at));
        control.busy_at.store(busy_at, Ordering::Relaxed);
        control.hand_offs.store(0, Ordering::Relaxed);
        *lock(&self.run) = Some(Run {
            caller,
            started,
            threshold,
            eval,
            auth_needed,
            control,
        });
        self.wrote.store(false, Ordering::Relaxed);
        self.running.store(true, Ordering::Release);
    }

    /// The running script ran a write command: SCRIPT KILL cannot stop it.
    #[inline]
    pub fn wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// Whether clients must authenticate (`requirepass` was set when the
    /// running script started).
    pub fn auth_needed(&self) -> bool {
        lock(&self.run).as_ref().is_some_and(|run| run.auth_needed)
    }

    /// The script ended (under the engine lock): wakes the waiting
    /// connections.
    pub fn end(&self) {
        if let Some(run) = lock(&self.run).take() {
            run.control.busy_at.store(NOT_BUSY, Ordering::Relaxed);
        }
        self.running.store(false, Ordering::Release);
        self.done.notify_waiters();
    }

    /// What connection `client` does with its requests now.
    pub fn gate(&self, client: u64) -> Gate {
        if !self.running() {
            return Gate::Open;
        }
        match &*lock(&self.run) {
            None => Gate::Open,
            Some(run) if run.caller == client => Gate::Open,
            Some(run) => match run.threshold.checked_sub(run.started.elapsed()) {
                Some(left) if !left.is_zero() => Gate::Wait(left),
                _ => Gate::Busy,
            },
        }
    }

    /// Waits until the running script ends, or `limit` passes. Returns at
    /// once when no script runs.
    pub async fn wait(&self, limit: Option<Duration>) {
        let notified = self.done.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !self.running() {
            return;
        }
        match limit {
            Some(limit) => {
                let _ = tokio::time::timeout(limit, notified).await;
            }
            None => notified.await,
        }
    }

    /// `SCRIPT KILL` (`eval`) or `FUNCTION KILL`, as Redis's `scriptKill`.
    pub fn kill(&self, eval: bool) -> Reply {
        let run = lock(&self.run);
        let Some(run) = run.as_ref() else {
            return errors::err(NOTBUSY);
        };
        if self.wrote.load(Ordering::Relaxed) {
            return errors::err(UNKILLABLE);
        }
        if eval != run.eval {
            return errors::err(if run.eval { BUSY_EVAL } else { BUSY_FUNCTION });
        }
        run.control.kill.store(true, Ordering::Relaxed);
        Reply::ok()
    }

    /// The server stops: the running script, if any, is stopped as
    /// SCRIPT KILL would, writes or not (Redis's `SHUTDOWN NOSAVE` ends it
    /// with the process).
    pub fn abort(&self) {
        if let Some(run) = lock(&self.run).as_ref() {
            run.control.kill.store(true, Ordering::Relaxed);
        }
    }

    /// Records that connection `client` closed: unregistered by the next
    /// holder of the engine lock.
    pub fn defer_disconnect(&self, client: u64) {
        self.defer(Deferred::Disconnect(client));
    }

    fn defer(&self, work: Deferred) {
        lock(&self.deferred).push(work);
        self.has_deferred.store(true, Ordering::Release);
    }

    /// Does the deferred work; the caller holds the engine lock. One atomic
    /// load when there is none.
    #[inline]
    pub fn apply_deferred(&self, engine: &mut Engine) {
        if self.has_deferred.load(Ordering::Acquire) {
            self.apply_deferred_slow(engine);
        }
    }

    fn apply_deferred_slow(&self, engine: &mut Engine) {
        let work = {
            let mut deferred = lock(&self.deferred);
            self.has_deferred.store(false, Ordering::Release);
            std::mem::take(&mut *deferred)
        };
        for work in work {
            match work {
                Deferred::FlagMulti(id) => {
                    if let Some(client) = engine.clients.get_mut(&id) {
                        if client.multi.is_some() {
                            client.multi_dirty = true;
                        }
                    }
                }
                Deferred::DiscardMulti(id) => {
                    if let Some(mut client) = engine.clients.remove(&id) {
                        crate::engine::commands::transactions::discard_transaction(
                            engine,
                            &mut client,
                        );
                        engine.clients.insert(id, client);
                    }
                }
                Deferred::Disconnect(id) => engine.disconnect(id),
            }
        }
    }
}

/// The Lua hook's turn (every few thousand instructions): once the script
/// is busy, hands the rest of the thread's work over.
///
/// On a multi-thread tokio runtime, the worker thread that runs the script
/// may hold tasks no other worker can take (its LIFO slot: typically a
/// connection woken together with the script's own): they would wait for
/// the script's end. `block_in_place` gives the worker's queues to a new
/// worker thread; the script goes on here without them. The new thread may
/// not have taken them when the closure returns (a loaded machine), so the
/// hook tries [`HAND_OFF_TRIES`] times, a millisecond each. A current-thread
/// runtime has no other thread to give them to (see `server/socket/busy.rs`).
pub(crate) fn poll(control: &Control) {
    // The hook runs on the script's thread, which alone sets `busy_at`.
    let at = control.busy_at.load(Ordering::Relaxed);
    if at == NOT_BUSY || nanos_after(control.epoch, Instant::now()) < at {
        return;
    }
    let tries = control.hand_offs.fetch_add(1, Ordering::Relaxed);
    if tries + 1 >= HAND_OFF_TRIES {
        control.busy_at.store(NOT_BUSY, Ordering::Relaxed);
    }
    if is_multi_thread() {
        tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(1)));
    }
}

/// [`Control::busy_at`] when no hand-off is due.
pub(crate) const NOT_BUSY: u64 = u64::MAX;

/// `t` in nanoseconds after `epoch` (0 before it; below [`NOT_BUSY`]).
fn nanos_after(epoch: Instant, t: Instant) -> u64 {
    let n = t.saturating_duration_since(epoch).as_nanos();
    u64::try_from(n).unwrap_or(NOT_BUSY - 1).min(NOT_BUSY - 1)
}

/// Hand-offs a busy script's hook attempts.
const HAND_OFF_TRIES: u32 = 20;

/// Whether the current thread is a worker of a multi-thread runtime.
fn is_multi_thread() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// Answers one request of connection `client` while a script is busy past
/// the threshold, without the engine (see the [module docs](self)).
/// `authenticated`: the connection authenticated (a password is asked for
/// only when `requirepass` was set as the script started).
pub(crate) fn answer(busy: &Busy, client: u64, authenticated: bool, args: &[Bytes]) -> Answer {
    let (spec, parent) = match CommandTable::get().resolve(args) {
        Resolved::Found(spec, parent) => (spec, parent),
        Resolved::UnknownSubcommand(base) => {
            return Answer::Reply(errors::unknown_subcommand(&args[1], base.name));
        }
        Resolved::Unknown => return Answer::Reply(errors::unknown_command(args)),
    };
    if !spec.arity_ok(args.len()) {
        return Answer::Reply(errors::wrong_arity(&full_name(spec, parent)));
    }
    let (eval, auth_needed) = match &*lock(&busy.run) {
        Some(run) => (run.eval, run.auth_needed),
        // Ended meanwhile: the engine answers.
        None => return Answer::Wait,
    };
    if auth_needed && !authenticated && spec.flags & flags::NO_AUTH == 0 {
        return Answer::Reply(errors::err(errors::NOAUTH));
    }
    match (parent.map(|p| p.name), spec.name) {
        (Some("script"), "kill") => return Answer::Reply(busy.kill(true)),
        (Some("function"), "kill") => return Answer::Reply(busy.kill(false)),
        (None, "quit") => return Answer::Quit,
        _ => {}
    }
    if spec.flags & flags::ALLOW_BUSY != 0 {
        return Answer::Wait;
    }
    let busy_reply = errors::err(if eval { BUSY_EVAL } else { BUSY_FUNCTION });
    // Redis's `rejectCommand`: EXEC aborts the transaction, any other
    // command flags it.
    if parent.is_none() && spec.name == "exec" {
        busy.defer(Deferred::DiscardMulti(client));
        return Answer::Reply(errors::exec_abort(&busy_reply));
    }
    busy.defer(Deferred::FlagMulti(client));
    Answer::Reply(busy_reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::from(w.to_string())).collect()
    }

    fn text(answer: Answer) -> String {
        match answer {
            Answer::Reply(Reply::Error(e)) => String::from_utf8_lossy(&e).into_owned(),
            Answer::Reply(other) => format!("{other:?}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn answers_as_redis_while_busy() {
        let busy = Busy::default();
        assert_eq!(busy.gate(1), Gate::Open);
        assert_eq!(text(Answer::Reply(busy.kill(true))), NOTBUSY);
        let control = Arc::new(Control::default());
        busy.begin(1, true, 0, false, control.clone(), Instant::now());
        assert_eq!(busy.gate(1), Gate::Open, "the script's own client");
        assert_eq!(busy.gate(2), Gate::Busy);
        assert_eq!(
            text(answer(&busy, 2, true, &args(&["get", "k"]))),
            BUSY_EVAL
        );
        assert!(
            text(answer(&busy, 2, true, &args(&["nosuch"]))).starts_with("ERR unknown command")
        );
        assert!(matches!(
            answer(&busy, 2, true, &args(&["multi"])),
            Answer::Wait
        ));
        assert!(matches!(
            answer(&busy, 2, true, &args(&["quit"])),
            Answer::Quit
        ));
        assert_eq!(
            text(answer(&busy, 2, true, &args(&["function", "kill"]))),
            BUSY_EVAL
        );
        assert!(!control.kill.load(Ordering::Relaxed));
        assert_eq!(
            text(answer(&busy, 2, true, &args(&["script", "kill"]))),
            "Simple(b\"OK\")"
        );
        assert!(control.kill.load(Ordering::Relaxed));
        busy.wrote();
        assert_eq!(text(Answer::Reply(busy.kill(true))), UNKILLABLE);
        busy.end();
        assert_eq!(busy.gate(2), Gate::Open);
        busy.begin(1, false, 60_000, true, control, Instant::now());
        assert!(matches!(busy.gate(2), Gate::Wait(_)));
        assert_eq!(
            text(answer(&busy, 2, false, &args(&["get", "k"]))),
            errors::NOAUTH
        );
        assert_eq!(
            text(answer(&busy, 2, true, &args(&["get", "k"]))),
            BUSY_FUNCTION
        );
        busy.end();
    }
}
