//! The mock registry: mounted mocks, the journal, strict mode and faults,
//! consulted by every connection before the engine ([`MockState::plan`]),
//! and the gathering of a verification report's findings (laid out by
//! `verify.rs`).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use rustc_hash::FxHashMap;
use tokio::sync::watch;

use super::matchers::Check;
use super::respond::{Action, Response};
use super::synonyms::synonym;
use super::verify::{
    self, ConnectionLog, EXPLAINED, Failure, Findings, LISTED_PER_CONNECTION, Listed,
    VerificationReport as Report,
};
use super::{Mock, Request};
use crate::Reply;
use crate::engine::meta;

/// Hints per unmet expectation before the list is cut short.
const HINTS: usize = 3;

/// A mounted mock as the admin API lists it.
#[cfg(feature = "admin")]
pub(crate) struct MockSummary {
    pub id: u64,
    pub name: Option<String>,
    /// How reports name it: `'name'` or `#id matchers`.
    pub label: String,
    pub calls: u64,
    /// The expectation in words (`exactly 1 call`), if any.
    pub expect: Option<String>,
    pub priority: u8,
}

/// A mounted mock and its calls.
pub(crate) struct Mounted {
    id: u64,
    mock: Mock,
    calls: u64,
    /// The requests this mock answered (for scoped guards).
    answered: Vec<Request>,
    /// One of its matchers panicked: the report leaves the mock out of
    /// the closest-mock ranking and the hints rather than run it again.
    matcher_panicked: bool,
}

impl Mounted {
    fn label(&self) -> String {
        match &self.mock.name {
            Some(name) => format!("'{name}'"),
            None => format!("#{} {}", self.id, self.mock.describe()),
        }
    }

    fn checks(&self, request: &Request) -> Vec<Check> {
        let mut out = Vec::new();
        for m in &self.mock.matchers {
            m.checks(request, &mut out);
        }
        out
    }

    fn used_up(&self) -> bool {
        self.mock.max_calls.is_some_and(|max| self.calls >= max)
    }

    /// Whether the mock's expectation is not met.
    fn failed(&self) -> bool {
        self.mock
            .expectation
            .is_some_and(|expected| !expected.contains(self.calls))
    }

    /// Whether every matcher accepts `request` (a panicking one does not).
    fn accepts(&self, request: &Request) -> bool {
        !self.matcher_panicked
            && catch_unwind(AssertUnwindSafe(|| {
                self.mock.matchers.iter().all(|m| m.matches(request))
            }))
            .unwrap_or(false)
    }

    /// The mock's unmet expectation, with hints from the `journal`: a
    /// command that did not reach the mock but whose synonym
    /// (`SETEX k 300 v` for `SET k v EX 300`) the mock accepts.
    fn failure(&self, journal: &[Entry]) -> Option<Failure> {
        let expected = self.mock.expectation?;
        if expected.contains(self.calls) {
            return None;
        }
        let mut hints: Vec<String> = Vec::new();
        let mut more = 0;
        if expected.wants_more(self.calls) {
            for e in journal
                .iter()
                .filter(|e| e.outcome != Outcome::Mock(self.id))
            {
                let Some(same) = synonym(e.request.args()) else {
                    continue;
                };
                let same = Request::from_parts(same, e.request.connection_id(), e.request.db());
                if !self.accepts(&same) || self.accepts(&e.request) {
                    continue;
                }
                let hint = format!(
                    "expected {same}; received {} (same effect, different command)",
                    e.request
                );
                if hints.contains(&hint) {
                    continue;
                }
                if hints.len() < HINTS {
                    hints.push(hint);
                } else {
                    more += 1;
                }
            }
        }
        if more > 0 {
            hints.push(format!("... and {more} more near-identical commands"));
        }
        Some(Failure {
            label: self.label(),
            expected,
            calls: self.calls,
            hints,
        })
    }
}

/// One journal entry.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) request: Request,
    pub(crate) outcome: Outcome,
    /// Part of the handshake the connection opened with (see
    /// [`Inner::handshaking`]).
    pub(crate) handshake: bool,
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
    /// The cluster-wide mock with this id (in the cluster's registry).
    Cluster(u64),
}

/// Whether this node serves a request (a cluster node's routing decision,
/// made before the engine's): cluster-wide mocks answer only where it
/// says yes.
pub(crate) type ClusterRouter = Arc<dyn Fn(&Request) -> bool + Send + Sync>;

/// A cluster node's link to the cluster-wide mocks: the cluster's
/// registry, consulted after the node's own mocks when `serves` says the
/// request is this node's.
pub(crate) struct ClusterHook {
    /// The cluster's mocks (its journal stays off).
    pub mocks: Arc<MockState>,
    /// The node's routing decision.
    pub serves: ClusterRouter,
}

struct Inner {
    /// Sorted by priority, then mount order.
    mocks: Vec<Mounted>,
    next_id: u64,
    journal: Vec<Entry>,
    recording: bool,
    strict: bool,
    /// Commands strict mode refused, kept even when recording is off.
    refused: Vec<Request>,
    /// Matchers or responders that panicked: the command, the mock and the
    /// message, as the report prints them.
    panics: Vec<String>,
    error: Option<Bytes>,
    close_after: Option<u64>,
    /// Connections still in their opening handshake: the connection's
    /// command count at its latest handshake command. A command belongs to
    /// the handshake when it is a [handshake command](is_handshake) and
    /// every command before it on its connection was one too.
    handshaking: FxHashMap<u64, u64>,
    /// Added to strict mode's error: replay names the closest recorded request.
    strict_hint: Option<StrictHint>,
    /// A cluster node's cluster-wide mocks.
    cluster: Option<ClusterHook>,
}

/// Text added to strict mode's error for a command, if any.
pub(crate) type StrictHint = Arc<dyn Fn(&Request) -> Option<String> + Send + Sync>;

/// What a connection does with one command.
pub(crate) struct Plan {
    /// `None`: let the engine answer.
    pub response: Option<Response>,
    /// Close the connection after this command (close-after-N fault).
    pub close: bool,
    /// Who answers, for the journal entry [`MockState::record`] makes.
    pub outcome: Outcome,
    /// Part of the handshake the connection opened with.
    pub handshake: bool,
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
                handshaking: FxHashMap::default(),
                strict_hint: None,
                cluster: None,
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

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the state and recomputes the fast-path flag.
    fn update<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut inner = self.lock();
        let out = f(&mut inner);
        let active = !inner.mocks.is_empty()
            || inner.recording
            || inner.strict
            || inner.error.is_some()
            || inner.close_after.is_some()
            || inner.cluster.is_some();
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
                    matcher_panicked: false,
                },
            );
            id
        })
    }

    /// How many commands mock `id` has answered (0 once it is unmounted).
    pub fn calls(&self, id: u64) -> u64 {
        let inner = self.lock();
        inner
            .mocks
            .iter()
            .find(|m| m.id == id)
            .map_or(0, |m| m.calls)
    }

    /// The commands mock `id` has answered, in arrival order (none once it
    /// is unmounted).
    pub fn answered(&self, id: u64) -> Vec<Request> {
        let inner = self.lock();
        inner
            .mocks
            .iter()
            .find(|m| m.id == id)
            .map_or_else(Vec::new, |m| m.answered.clone())
    }

    /// The mounted mocks in the order they are tried, as the admin API
    /// lists them.
    #[cfg(feature = "admin")]
    pub fn list(&self) -> Vec<MockSummary> {
        let inner = self.lock();
        inner
            .mocks
            .iter()
            .map(|m| MockSummary {
                id: m.id,
                name: m.mock.name.clone(),
                label: m.label(),
                calls: m.calls,
                expect: m.mock.expectation.map(|t| t.to_string()),
                priority: m.mock.priority,
            })
            .collect()
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

    /// Text strict mode's error ends with (`; ` and the hint).
    #[cfg(feature = "fixtures")]
    pub fn set_strict_hint(&self, hint: Option<StrictHint>) {
        self.update(|inner| inner.strict_hint = hint);
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

    /// Links a cluster node to the cluster-wide mocks (once: later calls
    /// keep the first link).
    pub fn set_cluster(&self, hook: ClusterHook) {
        self.update(|inner| {
            if inner.cluster.is_none() {
                inner.cluster = Some(hook);
            }
        });
    }

    /// A cluster registry's answer to `request` served on some node: the
    /// first mock that matches and answers, with its id. Counts the call.
    fn answer(&self, request: &Request) -> Option<(Option<Response>, u64)> {
        let mut inner = self.lock();
        answer_from(&mut inner.mocks, request, &Cell::new(None))
    }

    /// The label a report gives cluster-wide mock `id`.
    fn label_of(&self, id: u64) -> String {
        let inner = self.lock();
        match inner.mocks.iter().find(|m| m.id == id) {
            Some(m) => format!("cluster-wide mock {}", m.label()),
            None => format!("cluster-wide mock #{id} (unmounted)"),
        }
    }

    /// Decides how to answer one command: `nth` counts the commands on this
    /// connection, this one included.
    pub fn plan(&self, request: &Request, nth: u64) -> Plan {
        let mut inner = self.lock();
        let close = inner.close_after.is_some_and(|n| nth >= n);
        let connection = request.connection_id();
        let handshake = is_handshake(request.args())
            && (nth == 1 || inner.handshaking.get(&connection) == Some(&(nth - 1)));
        if handshake {
            inner.handshaking.insert(connection, nth);
        } else if !inner.handshaking.is_empty() {
            inner.handshaking.remove(&connection);
        }
        // A panicking matcher or responder (a test's closure) answers an
        // error and fails verification instead of killing the connection.
        // Asked for every command, so the router sees each connection's
        // READONLY and ASKING.
        let serves = inner.cluster.as_ref().is_some_and(|h| (h.serves)(request));
        let at = Cell::new(None);
        let decided = catch_unwind(AssertUnwindSafe(|| {
            decide(&mut inner, request, &at, serves)
        }));
        let (response, outcome) = decided.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic".to_string());
            let mounted = at
                .get()
                .and_then(|(id, part)| Some((inner.mocks.iter_mut().find(|m| m.id == id)?, part)));
            let who = match mounted {
                Some((m, part)) => {
                    // The report will not run this matcher again.
                    m.matcher_panicked |= part == "matcher";
                    format!("the {part} of mock {}", m.label())
                }
                None => "a matcher or responder".to_string(),
            };
            inner.panics.push(format!(
                "{request} (connection {connection}): {who} panicked: {message}"
            ));
            let reply = meta::one_line_error(
                format!("ERR mock-redis: a matcher or responder panicked: {message}").into_bytes(),
            );
            (Some(Response::reply(reply)), Outcome::Panic)
        });
        Plan {
            response,
            close,
            outcome,
            handshake,
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

    /// The journal's arguments as lossy UTF-8 strings, optionally without
    /// the handshake each connection opened with.
    pub fn journal_strings(&self, without_handshakes: bool) -> Vec<Vec<String>> {
        self.lock()
            .journal
            .iter()
            .filter(|e| !(without_handshakes && e.handshake))
            .map(|e| e.request.args_as_strings())
            .collect()
    }

    /// Checks every mounted mock's expectation, and strict mode's refusals.
    pub fn verify(&self) -> Result<(), Report> {
        let inner = self.lock();
        let failing: Vec<&Mounted> = inner.mocks.iter().filter(|m| m.failed()).collect();
        let mut refused: Vec<&Request> = inner
            .journal
            .iter()
            .filter(|e| e.outcome == Outcome::Strict)
            .map(|e| &e.request)
            .collect();
        refused.extend(inner.refused.iter());
        if failing.is_empty() && refused.is_empty() && inner.panics.is_empty() {
            return Ok(());
        }
        Err(findings(&inner, failing, refused, None).report())
    }

    /// Verifies one mock (a scoped guard's).
    pub fn verify_one(&self, mounted: &Mounted) -> Result<(), Report> {
        if !mounted.failed() {
            return Ok(());
        }
        let inner = self.lock();
        Err(findings(&inner, vec![mounted], Vec::new(), Some(mounted)).report())
    }
}

/// Decides who answers `request`; `at` tracks the mock and the part
/// (`"matcher"` or `"responder"`) running, to name it if it panics.
fn decide(
    inner: &mut Inner,
    request: &Request,
    at: &Cell<Option<(u64, &'static str)>>,
    serves: bool,
) -> (Option<Response>, Outcome) {
    if let Some(error) = &inner.error {
        if !served_while_loading(request.args()) {
            return (
                Some(Response::reply(Reply::Error(error.clone()))),
                Outcome::Fault,
            );
        }
    }
    if let Some((response, id)) = answer_from(&mut inner.mocks, request, at) {
        return (response, Outcome::Mock(id));
    }
    at.set(None);
    if let Some(hook) = inner.cluster.as_ref().filter(|_| serves) {
        if let Some((response, id)) = hook.mocks.answer(request) {
            return (response, Outcome::Cluster(id));
        }
    }
    if inner.strict && !is_handshake(request.args()) {
        let mut text = b"ERR mock-redis: no mock matched".to_vec();
        for arg in request.args() {
            text.extend_from_slice(b" '");
            text.extend_from_slice(arg);
            text.push(b'\'');
        }
        if let Some(hint) = inner.strict_hint.as_ref().and_then(|h| h(request)) {
            text.extend_from_slice(b"; ");
            text.extend_from_slice(hint.as_bytes());
        }
        return (
            Some(Response::reply(meta::one_line_error(text))),
            Outcome::Strict,
        );
    }
    (None, Outcome::Engine)
}

/// The first of `mocks` that matches `request` and answers it (a
/// responder may fall through), with its id; the mock's call is counted.
/// `None` in the response: the engine answers.
fn answer_from(
    mocks: &mut [Mounted],
    request: &Request,
    at: &Cell<Option<(u64, &'static str)>>,
) -> Option<(Option<Response>, u64)> {
    for mounted in mocks.iter_mut() {
        at.set(Some((mounted.id, "matcher")));
        if mounted.used_up() || !mounted.mock.matchers.iter().all(|m| m.matches(request)) {
            continue;
        }
        at.set(Some((mounted.id, "responder")));
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
        return Some((response, mounted.id));
    }
    None
}

/// Commands Redis serves while loading its dataset (the `loading` flag):
/// HELLO, AUTH, SELECT, CLIENT ..., INFO, COMMAND. The error fault spares
/// them, so clients can still connect.
fn served_while_loading(args: &[Bytes]) -> bool {
    meta::resolve(args).is_some_and(|c| c.served_while_loading())
}

/// The commands clients send on connect and the ready checks they make,
/// which strict mode leaves to the engine unless a mock matches them. The
/// run of them a connection opens with is its handshake: the report folds
/// it and [`MockState::journal_strings`] can leave it out.
fn is_handshake(args: &[Bytes]) -> bool {
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

/// Gathers what a verification report says: the `failing` mocks' unmet
/// expectations (with hints), the commands strict mode `refused`, the
/// commands the engine answered because no mock matched, each with the
/// closest of the candidate mocks (`only`, a scoped guard's unmounted mock,
/// or every mounted one) where one accepts any part of it, and who
/// answered each command in the journal.
fn findings<'a>(
    inner: &'a Inner,
    failing: Vec<&Mounted>,
    refused: Vec<&'a Request>,
    only: Option<&'a Mounted>,
) -> Findings<'a> {
    let failures: Vec<Failure> = failing
        .iter()
        .filter_map(|m| m.failure(&inner.journal))
        .collect();
    let candidates: Vec<&Mounted> = match only {
        Some(m) => vec![m],
        None => inner.mocks.iter().collect(),
    };
    // Strict-mode refusals are explained in their own list, once.
    let refused = refused
        .into_iter()
        .map(|r| (r, closest(&candidates, r)))
        .collect();
    let mut unmatched = Vec::new();
    let mut unmatched_total = 0;
    let requests = inner
        .journal
        .iter()
        .filter(|e| e.outcome == Outcome::Engine)
        .map(|e| &e.request)
        .filter(|r| !is_handshake(r.args()));
    for request in requests {
        let Some(why) = closest(&candidates, request) else {
            continue;
        };
        if unmatched.len() < EXPLAINED {
            unmatched.push((request, why));
        }
        unmatched_total += 1;
    }
    let mut per_connection: BTreeMap<u64, ConnectionLog<'a>> = BTreeMap::new();
    for e in &inner.journal {
        let id = e.request.connection_id();
        let log = per_connection.entry(id).or_insert_with(|| ConnectionLog {
            id,
            total: 0,
            listed: Vec::new(),
        });
        log.total += 1;
        if log.listed.len() < LISTED_PER_CONNECTION {
            log.listed.push(Listed {
                request: &e.request,
                by: answered_by(inner, only, e.outcome),
                // The engine answered the connection's opening handshake.
                handshake: e.handshake && e.outcome == Outcome::Engine,
            });
        }
    }
    Findings {
        failures,
        panics: &inner.panics,
        refused,
        unmatched,
        unmatched_total,
        received_total: inner.journal.len(),
        connections: per_connection.into_values().collect(),
    }
}

/// Who answered a journalled command, as the report lists it.
fn answered_by(inner: &Inner, only: Option<&Mounted>, outcome: Outcome) -> String {
    match outcome {
        Outcome::Mock(id) => match inner.mocks.iter().chain(only).find(|m| m.id == id) {
            Some(m) => format!("mock {}", m.label()),
            None => format!("mock #{id} (unmounted)"),
        },
        Outcome::Fault => "error fault".to_string(),
        Outcome::Engine => "engine".to_string(),
        Outcome::Strict => "strict-mode error".to_string(),
        Outcome::Panic => "panic".to_string(),
        Outcome::Cluster(id) => match &inner.cluster {
            Some(hook) => hook.mocks.label_of(id),
            None => format!("cluster-wide mock #{id}"),
        },
    }
}

/// Names the closest mock and the first of its parts that rejected the
/// request: `None` when no mock accepts any part of it.
///
/// The ranking: a mock whose command parts (`command("DEL")`, the name in
/// `args([..])`, `writes()`, ...) accept the command, or that has none,
/// ranks above any whose command part rejects it; then the mock with the
/// most accepted parts; then the first in the order mocks are tried
/// (priority, then mount order). A mock whose matcher panics is skipped.
fn closest(candidates: &[&Mounted], request: &Request) -> Option<String> {
    let mut best: Option<(&Mounted, Vec<Check>, (bool, usize))> = None;
    for m in candidates.iter().filter(|m| !m.matcher_panicked) {
        let Ok(checks) = catch_unwind(AssertUnwindSafe(|| m.checks(request))) else {
            continue;
        };
        let command_ok = checks.iter().all(|c| c.passed || !c.command);
        let rank = (command_ok, checks.iter().filter(|c| c.passed).count());
        if best.as_ref().is_none_or(|(_, _, r)| rank > *r) {
            best = Some((m, checks, rank));
        }
    }
    let (m, checks, (_, passed)) = best?;
    if passed == 0 {
        return None;
    }
    Some(match checks.iter().find(|c| !c.passed) {
        Some(c) => match &c.found {
            Some(found) => format!(
                "closest mock {} rejected it at {} ({found})",
                m.label(),
                c.matcher
            ),
            None => format!("closest mock {} rejected it at {}", m.label(), c.matcher),
        },
        None => match m.mock.max_calls {
            Some(max) if m.calls >= max => format!(
                "mock {} matched but had already answered its {}",
                m.label(),
                verify::calls(max)
            ),
            _ => format!("mock {} matched but its responder fell through", m.label()),
        },
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

    /// Every part of the report: unmet expectations with a hint, panics
    /// naming the mock, strict-mode refusals with their closest mock, the
    /// closest mock (cut after 20 commands, none for commands no mock
    /// accepts any part of) and the journal with who answered each command
    /// (cut after 50 per connection, the opening handshake folded).
    fn report_scenario() -> (String, String) {
        use crate::Response;
        use crate::matchers::command;
        let state = MockState::new(false, true);
        let sent = std::cell::RefCell::new(FxHashMap::<u64, u64>::default());
        let plan = |args: &[&str], conn: u64| {
            let args: Vec<Bytes> = args
                .iter()
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect();
            let nth = {
                let mut sent = sent.borrow_mut();
                let n = sent.entry(conn).or_default();
                *n += 1;
                *n
            };
            let request = Request::from_parts(args, conn, 0);
            let plan = state.plan(&request, nth);
            state.record([Entry {
                request,
                outcome: plan.outcome,
                handshake: plan.handshake,
            }]);
            plan
        };
        state.mount(
            Mock::given(command("GET").arg("a"))
                .respond_with(Reply::bulk("v"))
                .up_to_n_times(1)
                .expect(2)
                .named("get a"),
        );
        let set = state.mount(Mock::given(command("SET")).respond_with(Reply::ok()));
        state.mount(
            Mock::given(command("DEL")).respond_with(|_: &Request| Response::fall_through()),
        );
        state.mount(
            Mock::given(command("BOOM")).respond_with(|_: &Request| -> Reply { panic!("kaboom") }),
        );
        state.mount(
            Mock::given(
                command("SET")
                    .arg("session")
                    .arg("abc")
                    .arg("EX")
                    .arg("300"),
            )
            .respond_with(Reply::ok())
            .expect(1)
            .named("session"),
        );
        plan(&["SET", "x", "1"], 1);
        state.unmount(set);
        state.set_error(Some(Bytes::from_static(b"ERR fault")));
        plan(&["GET", "a"], 1);
        state.set_error(None);
        plan(&["GET", "a"], 1);
        plan(&["GET", "a"], 1);
        plan(&["DEL", "k"], 1);
        plan(&["BOOM"], 1);
        plan(&["SETEX", "session", "300", "abc"], 1);
        state.set_strict(true);
        plan(&["FOO", "bar"], 2);
        plan(&["GET", "c"], 2);
        state.set_strict(false);
        for _ in 0..25 {
            plan(&["GET", "b"], 3);
        }
        for _ in 0..55 {
            plan(&["ECHO", "x"], 4);
        }
        plan(&["HELLO", "3"], 6);
        plan(&["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"], 6);
        plan(&["client", "setinfo", "LIB-VER", "1.0"], 6);
        plan(&["GET", "b"], 6);
        plan(&["PING"], 6);
        let all = state.verify().unwrap_err().to_string();
        let scoped = state.mount(
            Mock::given(command("HGET"))
                .respond_with(Reply::nil())
                .expect(1)
                .named("scoped"),
        );
        plan(&["HGET", "h", "f"], 5);
        plan(&["HGET", "h", "f"], 5);
        let mounted = state.unmount(scoped).unwrap();
        let one = state.verify_one(&mounted).unwrap_err().to_string();
        (all, one)
    }

    /// `n` numbered journal lines `"    i) {line}"`, then `... and k more`
    /// past 50.
    fn listed(line: &str, n: usize) -> String {
        let mut out = String::new();
        for i in 1..=n.min(LISTED_PER_CONNECTION) {
            out += &format!("    {i}) {line}\n");
        }
        if n > LISTED_PER_CONNECTION {
            out += &format!("    ... and {} more\n", n - LISTED_PER_CONNECTION);
        }
        out
    }

    #[test]
    fn the_report_text() {
        let (all, one) = report_scenario();
        let get_b = r#""GET" "b" (connection 3): "#;
        let rejected = r#"closest mock 'get a' rejected it at arg("a") (argument 1 is "b")"#;
        let journal = |total: usize| {
            format!(
                "\nCommands received ({total}):\n  connection 1:\n{}  connection 2:\n{}  connection 3:\n{}  connection 4:\n{}",
                [
                    r#"    1) "SET" "x" "1"  <- mock #2 (unmounted)"#,
                    r#"    2) "GET" "a"  <- error fault"#,
                    r#"    3) "GET" "a"  <- mock 'get a'"#,
                    r#"    4) "GET" "a"  <- engine"#,
                    r#"    5) "DEL" "k"  <- engine"#,
                    r#"    6) "BOOM"  <- panic"#,
                    r#"    7) "SETEX" "session" "300" "abc"  <- engine"#,
                    "",
                ]
                .join("\n"),
                [
                    r#"    1) "FOO" "bar"  <- strict-mode error"#,
                    r#"    2) "GET" "c"  <- strict-mode error"#,
                    "",
                ]
                .join("\n"),
                listed(r#""GET" "b"  <- engine"#, 25),
                listed(r#""ECHO" "x"  <- engine"#, 55),
            )
        };
        let connection_6 = [
            "  connection 6:",
            "    1-3) (3 handshake commands: HELLO, CLIENT SETINFO x2)  <- engine",
            r#"    4) "GET" "b"  <- engine"#,
            r#"    5) "PING"  <- engine"#,
            "",
        ]
        .join("\n");
        let expected = format!(
            "mock-redis: verification failed (5 problems)\n\
             \nExpectations not met:\n\
             \x20 - mock 'get a': expected exactly 2 calls, received 1 call\n\
             \x20 - mock 'session': expected exactly 1 call, received 0 calls\n\
             \x20   hint: expected \"SET\" \"session\" \"abc\" \"EX\" \"300\"; received \"SETEX\" \"session\" \"300\" \"abc\" (same effect, different command)\n\
             \nMatchers or responders that panicked:\n\
             \x20 - \"BOOM\" (connection 1): the responder of mock #4 command(\"BOOM\") panicked: kaboom\n\
             \nCommands no mock matched (strict mode answered with an error):\n\
             \x20 - \"FOO\" \"bar\" (connection 2)\n\
             \x20 - \"GET\" \"c\" (connection 2): closest mock 'get a' rejected it at arg(\"a\") (argument 1 is \"c\")\n\
             \nCommands no mock matched, and the closest mock:\n\
             {}{}{}  ... and 8 more\n{}{}",
            "  - \"GET\" \"a\" (connection 1): mock 'get a' matched but had already answered its 1 call\n",
            "  - \"DEL\" \"k\" (connection 1): mock #3 command(\"DEL\") matched but its responder fell through\n",
            format!("  - {get_b}{rejected}\n").repeat(18),
            journal(94),
            connection_6,
        );
        assert_eq!(all, expected);
        // Only the scoped mock is a candidate: no command here has a part
        // it accepts, so no command is explained.
        let expected = format!(
            "mock-redis: verification failed (2 problems)\n\
             \nExpectations not met:\n  - mock 'scoped': expected exactly 1 call, received 2 calls\n\
             \nMatchers or responders that panicked:\n\
             \x20 - \"BOOM\" (connection 1): the responder of mock #4 command(\"BOOM\") panicked: kaboom\n\
             {}  connection 5:\n{}{}{}",
            journal(96),
            listed(r#""HGET" "h" "f"  <- mock 'scoped'"#, 1),
            listed(r#""HGET" "h" "f"  <- mock 'scoped'"#, 1).replace("1)", "2)"),
            connection_6,
        );
        assert_eq!(one, expected);
    }

    #[test]
    fn a_panicking_matcher_is_named_and_skipped_in_the_report() {
        use crate::matchers::command;
        let state = MockState::new(false, true);
        state.mount(
            Mock::given(|r: &Request| -> bool { panic!("bad matcher for {}", r.name()) })
                .respond_with(Reply::ok())
                .named("picky"),
        );
        state.mount(
            Mock::given(command("GET").arg("a"))
                .respond_with(Reply::ok())
                .expect(1),
        );
        let args = vec![Bytes::from_static(b"GET"), Bytes::from_static(b"b")];
        let request = Request::from_parts(args, 1, 0);
        let plan = state.plan(&request, 1);
        state.record([Entry {
            request,
            outcome: plan.outcome,
            handshake: plan.handshake,
        }]);
        assert_eq!(
            plan.response.unwrap().as_reply(),
            Some(&Reply::error(
                "ERR mock-redis: a matcher or responder panicked: bad matcher for GET"
            ))
        );
        let report = state.verify().unwrap_err().to_string();
        assert!(
            report.contains(
                "  - \"GET\" \"b\" (connection 1): the matcher of mock 'picky' panicked: bad matcher for GET\n"
            ),
            "{report}"
        );
        // Verification skips the panicking mock instead of panicking again.
        assert!(!report.contains("closest mock 'picky'"), "{report}");
    }
}
