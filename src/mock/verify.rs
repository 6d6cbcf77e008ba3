//! The verification report.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use super::Times;
use super::request::Request;
use super::state::{Entry, Inner, Mounted, Outcome, is_handshake};

/// Commands listed per connection before the list is cut short.
const LISTED_PER_CONNECTION: usize = 50;
/// Unmatched commands explained before the list is cut short.
const EXPLAINED: usize = 20;

/// Why verification failed, in a text meant for a test's failure output:
/// each mock whose expectation was not met (name, expected and actual
/// calls), commands strict mode refused, each command no mock matched with
/// the closest mock and the matcher that rejected it, and the commands
/// received per connection, quoted as `redis-cli` prints them.
///
/// [`MockRedis::verify`](crate::MockRedis::verify) panics with this text;
/// [`MockRedis::try_verify`](crate::MockRedis::try_verify) returns it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mock_redis::{Mock, MockRedis, Reply};
/// use mock_redis::matchers::command;
///
/// let server = MockRedis::start().await;
/// Mock::given(command("GET")).respond_with(Reply::nil()).expect(1).named("cache read").mount(&server);
/// let report = server.try_verify().unwrap_err();
/// assert!(report.to_string().contains("mock 'cache read': expected exactly 1 call, received 0"));
/// server.reset(); // or the drop would panic with the same report
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationReport {
    text: String,
}

impl fmt::Display for VerificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for VerificationReport {
    /// The report text itself, so `unwrap()` prints it readably.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for VerificationReport {}

/// A mock whose expectation was not met.
pub(crate) struct Failure {
    label: String,
    expected: Times,
    calls: u64,
}

pub(crate) fn failure(m: &Mounted) -> Option<Failure> {
    let expected = m.mock.expectation?;
    (!expected.contains(m.calls)).then(|| Failure {
        label: m.label(),
        expected,
        calls: m.calls,
    })
}

fn calls(n: u64) -> String {
    if n == 1 {
        "1 call".to_string()
    } else {
        format!("{n} calls")
    }
}

pub(crate) fn report(
    inner: &Inner,
    failures: &[Failure],
    refused: &[&Request],
    only: Option<&Mounted>,
) -> VerificationReport {
    let mut t = String::new();
    let problems = failures.len() + refused.len() + inner.panics.len();
    let _ = writeln!(
        t,
        "mock-redis: verification failed ({problems} problem{})",
        if problems == 1 { "" } else { "s" }
    );
    if !failures.is_empty() {
        t.push_str("\nExpectations not met:\n");
        for f in failures {
            let _ = writeln!(
                t,
                "  - mock {}: expected {}, received {}",
                f.label,
                f.expected,
                calls(f.calls)
            );
        }
    }
    if !inner.panics.is_empty() {
        t.push_str("\nMatchers or responders that panicked:\n");
        for p in &inner.panics {
            let _ = writeln!(t, "  - {p}");
        }
    }
    if !refused.is_empty() {
        t.push_str("\nCommands no mock matched (strict mode answered with an error):\n");
        for r in refused {
            let _ = writeln!(t, "  - {} (connection {})", r, r.connection_id());
        }
    }
    // Commands no mock answered, and the mock that came closest.
    let candidates: Vec<&Mounted> = match only {
        Some(m) => vec![m],
        None => inner.mocks.iter().collect(),
    };
    let unmatched: Vec<&Entry> = inner
        .journal
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Engine | Outcome::Strict))
        .filter(|e| !is_handshake(e.request.args()))
        .collect();
    if !candidates.is_empty() && !unmatched.is_empty() {
        t.push_str("\nCommands no mock matched, and the closest mock:\n");
        for e in unmatched.iter().take(EXPLAINED) {
            let _ = writeln!(
                t,
                "  - {} (connection {}): {}",
                e.request,
                e.request.connection_id(),
                closest(&candidates, &e.request)
            );
        }
        if unmatched.len() > EXPLAINED {
            let _ = writeln!(t, "  ... and {} more", unmatched.len() - EXPLAINED);
        }
    }
    // The journal, per connection.
    let mut per_connection: BTreeMap<u64, Vec<&Entry>> = BTreeMap::new();
    for e in &inner.journal {
        per_connection
            .entry(e.request.connection_id())
            .or_default()
            .push(e);
    }
    if inner.journal.is_empty() {
        t.push_str("\nCommands received: none recorded.\n");
    } else {
        let _ = writeln!(t, "\nCommands received ({}):", inner.journal.len());
        for (conn, entries) in &per_connection {
            let _ = writeln!(t, "  connection {conn}:");
            for (i, e) in entries.iter().take(LISTED_PER_CONNECTION).enumerate() {
                let by = match e.outcome {
                    Outcome::Mock(id) => {
                        match inner.mocks.iter().chain(only).find(|m| m.id == id) {
                            Some(m) => format!("mock {}", m.label()),
                            None => format!("mock #{id} (unmounted)"),
                        }
                    }
                    Outcome::Fault => "error fault".to_string(),
                    Outcome::Engine => "engine".to_string(),
                    Outcome::Strict => "strict-mode error".to_string(),
                    Outcome::Panic => "panic".to_string(),
                };
                let _ = writeln!(t, "    {}) {}  <- {by}", i + 1, e.request);
            }
            if entries.len() > LISTED_PER_CONNECTION {
                let _ = writeln!(
                    t,
                    "    ... and {} more",
                    entries.len() - LISTED_PER_CONNECTION
                );
            }
        }
    }
    VerificationReport { text: t }
}

/// Names the mock that accepted the most matcher parts and the first part
/// that rejected the request.
fn closest(candidates: &[&Mounted], request: &Request) -> String {
    let mut best: Option<(&Mounted, Vec<super::matchers::Check>, usize)> = None;
    for m in candidates {
        let checks = m.checks(request);
        let passed = checks.iter().filter(|c| c.passed).count();
        if best.as_ref().is_none_or(|(_, _, p)| passed > *p) {
            best = Some((m, checks, passed));
        }
    }
    let Some((m, checks, passed)) = best else {
        return "no mocks mounted".to_string();
    };
    if passed == 0 {
        return "no mock accepts any part of it".to_string();
    }
    match checks.iter().find(|c| !c.passed) {
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
                calls(max)
            ),
            _ => format!("mock {} matched but its responder fell through", m.label()),
        },
    }
}
