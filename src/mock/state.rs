//! The server-side mock state: mounted mocks, the journal, strict mode and
//! faults, consulted by every connection before the engine.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::watch;

use super::matchers::Check;
use super::respond::{Action, Response};
use super::verify::{self, Failure, VerificationReport as Report};
use super::{Mock, Request};
use crate::Reply;
use crate::engine::command::{CommandTable, Resolved, flags};

/// A mounted mock and its calls.
pub(crate) struct Mounted {
    pub id: u64,
    pub mock: Mock,
    pub calls: u64,
    /// The requests this mock answered (for scoped guards).
    pub answered: Vec<Request>,
}

impl Mounted {
    pub fn label(&self) -> String {
        match &self.mock.name {
            Some(name) => format!("'{name}'"),
            None => format!("#{} {}", self.id, self.mock.describe()),
        }
    }

    pub fn checks(&self, request: &Request) -> Vec<Check> {
        let mut out = Vec::new();
        for m in &self.mock.matchers {
            m.checks(request, &mut out);
        }
        out
    }

    fn used_up(&self) -> bool {
        self.mock.max_calls.is_some_and(|max| self.calls >= max)
    }
}

/// One journal entry.
#[derive(Clone)]
pub(crate) struct Entry {
    pub request: Request,
    pub outcome: Outcome,
}

/// Who answered a journalled command.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The mock with this id.
    Mock(u64),
    /// The server-wide error fault.
    Fault,
    /// The engine; no mock matched.
    Engine,
    /// The strict-mode error; no mock matched.
    Strict,
    /// A matcher or responder panicked.
    Panic,
}

pub(crate) struct Inner {
    /// Sorted by priority, then mount order.
    pub mocks: Vec<Mounted>,
    next_id: u64,
    pub journal: Vec<Entry>,
    recording: bool,
    strict: bool,
    /// Commands strict mode refused, kept even when recording is off.
    pub refused: Vec<Request>,
    /// Matchers or responders that panicked: the command and the message.
    pub panics: Vec<String>,
    error: Option<Bytes>,
    close_after: Option<u64>,
}

/// What a connection does with one command.
pub(crate) struct Plan {
    /// `None`: let the engine answer.
    pub response: Option<Response>,
    /// Close the connection after this command (close-after-N fault).
    pub close: bool,
    /// Who answers, for the journal entry [`MockState::record`] makes.
    pub outcome: Outcome,
}

/// Mock state shared by the handle and every connection.
pub(crate) struct MockState {
    /// Whether connections must consult [`MockState::plan`]; when false the
    /// engine answers directly.
    active: AtomicBool,
    inner: Mutex<Inner>,
    closer: watch::Sender<u64>,
}

impl MockState {
    pub fn new(strict: bool, recording: bool) -> MockState {
        let state = MockState {
            active: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                mocks: Vec::new(),
                next_id: 1,
                journal: Vec::new(),
                recording,
                strict,
                refused: Vec::new(),
                panics: Vec::new(),
                error: None,
                close_after: None,
            }),
            closer: watch::Sender::new(0),
        };
        state.update(|_| {});
        state
    }

    /// Whether a connection must call [`plan`](MockState::plan) for each command.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the state and recomputes the fast-path flag.
    pub fn update<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut inner = self.lock();
        let out = f(&mut inner);
        let active = !inner.mocks.is_empty()
            || inner.recording
            || inner.strict
            || inner.error.is_some()
            || inner.close_after.is_some();
        self.active.store(active, Ordering::Release);
        out
    }

    /// A receiver that changes whenever [`close_connections`](MockState::close_connections) runs.
    pub fn closer(&self) -> watch::Receiver<u64> {
        self.closer.subscribe()
    }

    pub fn close_connections(&self) {
        self.closer.send_modify(|n| *n += 1);
    }

    pub fn mount(&self, mock: Mock) -> u64 {
        self.update(|inner| {
            let id = inner.next_id;
            inner.next_id += 1;
            let at = inner
                .mocks
                .partition_point(|m| m.mock.priority <= mock.priority);
            inner.mocks.insert(
                at,
                Mounted {
                    id,
                    mock,
                    calls: 0,
                    answered: Vec::new(),
                },
            );
            id
        })
    }

    pub fn unmount(&self, id: u64) -> Option<Mounted> {
        self.update(|inner| {
            let at = inner.mocks.iter().position(|m| m.id == id)?;
            Some(inner.mocks.remove(at))
        })
    }

    pub fn reset(&self) {
        self.update(|inner| {
            inner.mocks.clear();
            inner.journal.clear();
            inner.refused.clear();
            inner.panics.clear();
        });
    }

    pub fn set_recording(&self, on: bool) {
        self.update(|inner| inner.recording = on);
    }

    pub fn set_strict(&self, on: bool) {
        self.update(|inner| inner.strict = on);
    }

    pub fn set_error(&self, error: Option<Bytes>) {
        self.update(|inner| inner.error = error);
    }

    pub fn set_close_after(&self, n: Option<u64>) {
        self.update(|inner| inner.close_after = n);
    }

    /// Decides how to answer one command: `nth` counts the commands on this
    /// connection, this one included. The caller answers, then journals the
    /// request with [`record`](MockState::record).
    pub fn plan(&self, request: &Request, nth: u64) -> Plan {
        let mut inner = self.lock();
        let close = inner.close_after.is_some_and(|n| nth >= n);
        // A panicking matcher or responder (a test's closure) answers an
        // error and fails verification instead of killing the connection.
        let decided =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decide(&mut inner, request)));
        let (response, outcome) = decided.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic".to_string());
            inner.panics.push(format!("{request}: {message}"));
            let reply = crate::engine::one_line_error(
                format!("ERR mock-redis: a matcher or responder panicked: {message}").into_bytes(),
            );
            (Some(Response::reply(reply)), Outcome::Panic)
        });
        Plan {
            response,
            close,
            outcome,
        }
    }

    /// Journals answered requests in the order given, with the outcome
    /// their [`plan`](MockState::plan) gave (a connection records a whole
    /// pipelined run at once, under one lock); strict mode's refusals are
    /// kept even when the journal is off.
    pub fn record(&self, entries: impl IntoIterator<Item = Entry>) {
        let mut inner = self.lock();
        for entry in entries {
            if inner.recording {
                inner.journal.push(entry);
            } else if entry.outcome == Outcome::Strict {
                inner.refused.push(entry.request);
            }
        }
    }

    pub fn journal(&self) -> Vec<Request> {
        self.lock()
            .journal
            .iter()
            .map(|e| e.request.clone())
            .collect()
    }

    /// Checks every mounted mock's expectation, and strict mode's refusals.
    pub fn verify(&self) -> Result<(), Report> {
        let inner = self.lock();
        let failures: Vec<Failure> = inner.mocks.iter().filter_map(verify::failure).collect();
        let mut refused: Vec<&Request> = inner
            .journal
            .iter()
            .filter(|e| e.outcome == Outcome::Strict)
            .map(|e| &e.request)
            .collect();
        refused.extend(inner.refused.iter());
        if failures.is_empty() && refused.is_empty() && inner.panics.is_empty() {
            return Ok(());
        }
        Err(verify::report(&inner, &failures, &refused, None))
    }

    /// Verifies one mock (a scoped guard's).
    pub fn verify_one(&self, mounted: &Mounted) -> Result<(), Report> {
        let Some(failure) = verify::failure(mounted) else {
            return Ok(());
        };
        let inner = self.lock();
        Err(verify::report(&inner, &[failure], &[], Some(mounted)))
    }
}

fn decide(inner: &mut Inner, request: &Request) -> (Option<Response>, Outcome) {
    if let Some(error) = &inner.error {
        if !served_while_loading(request.args()) {
            return (
                Some(Response::reply(Reply::Error(error.clone()))),
                Outcome::Fault,
            );
        }
    }
    for mounted in inner.mocks.iter_mut() {
        if mounted.used_up() || !mounted.mock.matchers.iter().all(|m| m.matches(request)) {
            continue;
        }
        let response = mounted.mock.responder.respond(request);
        if response.action == Action::FallThrough {
            continue;
        }
        mounted.calls += 1;
        mounted.answered.push(request.clone());
        let response = match response.action {
            // The engine answers; the connection still applies delay and close.
            Action::PassThrough if response.delay.is_none() && !response.close_after => None,
            _ => Some(response),
        };
        return (response, Outcome::Mock(mounted.id));
    }
    if inner.strict && !is_handshake(request.args()) {
        let mut text = b"ERR mock-redis: no mock matched".to_vec();
        for arg in request.args() {
            text.extend_from_slice(b" '");
            text.extend_from_slice(arg);
            text.push(b'\'');
        }
        return (
            Some(Response::reply(crate::engine::one_line_error(text))),
            Outcome::Strict,
        );
    }
    (None, Outcome::Engine)
}

/// Commands Redis serves while loading its dataset (the `loading` flag):
/// HELLO, AUTH, SELECT, CLIENT ..., INFO, COMMAND. The error fault spares
/// them, so clients can still connect.
fn served_while_loading(args: &[Bytes]) -> bool {
    match CommandTable::get().resolve(args) {
        Resolved::Found(spec, _) => spec.flags & flags::LOADING != 0,
        _ => false,
    }
}

/// The commands clients send on connect and the ready checks they make,
/// which strict mode leaves to the engine unless a mock matches them.
pub(crate) fn is_handshake(args: &[Bytes]) -> bool {
    let Some(name) = args.first() else {
        return false;
    };
    const PLAIN: &[&str] = &[
        "HELLO", "AUTH", "SELECT", "PING", "QUIT", "RESET", "INFO", "COMMAND",
    ];
    if PLAIN
        .iter()
        .any(|c| name.eq_ignore_ascii_case(c.as_bytes()))
    {
        return true;
    }
    const CLIENT: &[&str] = &["SETINFO", "SETNAME", "TRACKING"];
    name.eq_ignore_ascii_case(b"CLIENT")
        && args.get(1).is_some_and(|sub| {
            CLIENT
                .iter()
                .any(|c| sub.eq_ignore_ascii_case(c.as_bytes()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matchers::any;

    #[test]
    fn the_fast_path_flag_follows_the_state() {
        let state = MockState::new(false, false);
        assert!(!state.is_active(), "nothing to consult");
        let id = state.mount(Mock::given(any()).respond_with(Reply::ok()));
        assert!(state.is_active());
        state.unmount(id);
        assert!(!state.is_active());
        state.set_recording(true);
        assert!(state.is_active());
        state.set_recording(false);
        state.set_error(Some(Bytes::from_static(b"ERR x")));
        assert!(state.is_active());
        state.set_error(None);
        state.set_close_after(Some(1));
        assert!(state.is_active());
        state.set_close_after(None);
        state.set_strict(true);
        assert!(state.is_active());
        state.set_strict(false);
        assert!(!state.is_active());
        assert!(
            MockState::new(false, true).is_active(),
            "recording is on by default"
        );
    }

    #[test]
    fn handshake_commands() {
        let args = |a: &[&str]| {
            a.iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect::<Vec<_>>()
        };
        assert!(is_handshake(&args(&["hello", "3"])));
        assert!(is_handshake(&args(&["CLIENT", "setinfo", "LIB-NAME", "x"])));
        assert!(!is_handshake(&args(&["CLIENT", "KILL"])));
        assert!(!is_handshake(&args(&["GET", "k"])));
        assert!(served_while_loading(&args(&["SELECT", "1"])));
        assert!(!served_while_loading(&args(&["PING"])));
        assert!(!served_while_loading(&args(&["GET", "k"])));
    }
}
