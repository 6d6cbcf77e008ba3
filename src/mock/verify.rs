//! The verification report: the public [`VerificationReport`] and the text
//! it lays out. The registry (`registry.rs`) gathers the [`Findings`] (which
//! mocks failed, who answered each command, the closest mock for each
//! unmatched one); this file only renders them and knows nothing of the
//! registry's types.

use std::fmt::{self, Write as _};

use super::Times;
use super::request::Request;

/// Commands listed per connection before the list is cut short.
pub(crate) const LISTED_PER_CONNECTION: usize = 50;
/// Unmatched commands explained before the list is cut short.
pub(crate) const EXPLAINED: usize = 20;

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
    /// The mock's name or description, as [`Findings`] quotes it.
    pub label: String,
    pub expected: Times,
    pub calls: u64,
}

/// Everything a report says, gathered by the registry.
pub(crate) struct Findings<'a> {
    /// Mocks whose expectation was not met.
    pub failures: Vec<Failure>,
    /// Matchers or responders that panicked: the command and the message.
    pub panics: &'a [String],
    /// Commands strict mode refused.
    pub refused: Vec<&'a Request>,
    /// Commands no mock answered (at most [`EXPLAINED`]), each with why the
    /// closest mock rejected it; empty when no mock was a candidate.
    pub unmatched: Vec<(&'a Request, String)>,
    /// How many commands no mock answered, in all.
    pub unmatched_total: usize,
    /// How many commands the journal holds.
    pub received_total: usize,
    /// The journal, per connection in connection order.
    pub connections: Vec<ConnectionLog<'a>>,
}

/// One connection's part of the journal.
pub(crate) struct ConnectionLog<'a> {
    pub id: u64,
    /// How many commands the connection sent, in all.
    pub total: usize,
    /// The first [`LISTED_PER_CONNECTION`] commands, each with who answered
    /// it (`engine`, `mock 'name'`, ...).
    pub listed: Vec<(&'a Request, String)>,
}

/// `1 call`, `2 calls`.
pub(crate) fn calls(n: u64) -> String {
    if n == 1 {
        "1 call".to_string()
    } else {
        format!("{n} calls")
    }
}

impl Findings<'_> {
    /// Lays the findings out as the report text.
    pub(crate) fn report(&self) -> VerificationReport {
        let mut t = String::new();
        let problems = self.failures.len() + self.refused.len() + self.panics.len();
        let _ = writeln!(
            t,
            "mock-redis: verification failed ({problems} problem{})",
            if problems == 1 { "" } else { "s" }
        );
        if !self.failures.is_empty() {
            t.push_str("\nExpectations not met:\n");
            for f in &self.failures {
                let _ = writeln!(
                    t,
                    "  - mock {}: expected {}, received {}",
                    f.label,
                    f.expected,
                    calls(f.calls)
                );
            }
        }
        if !self.panics.is_empty() {
            t.push_str("\nMatchers or responders that panicked:\n");
            for p in self.panics {
                let _ = writeln!(t, "  - {p}");
            }
        }
        if !self.refused.is_empty() {
            t.push_str("\nCommands no mock matched (strict mode answered with an error):\n");
            for r in &self.refused {
                let _ = writeln!(t, "  - {} (connection {})", r, r.connection_id());
            }
        }
        if !self.unmatched.is_empty() {
            t.push_str("\nCommands no mock matched, and the closest mock:\n");
            for (request, closest) in &self.unmatched {
                let _ = writeln!(
                    t,
                    "  - {} (connection {}): {closest}",
                    request,
                    request.connection_id(),
                );
            }
            if self.unmatched_total > self.unmatched.len() {
                let _ = writeln!(
                    t,
                    "  ... and {} more",
                    self.unmatched_total - self.unmatched.len()
                );
            }
        }
        if self.received_total == 0 {
            t.push_str("\nCommands received: none recorded.\n");
        } else {
            let _ = writeln!(t, "\nCommands received ({}):", self.received_total);
            for conn in &self.connections {
                let _ = writeln!(t, "  connection {}:", conn.id);
                for (i, (request, by)) in conn.listed.iter().enumerate() {
                    let _ = writeln!(t, "    {}) {request}  <- {by}", i + 1);
                }
                if conn.total > conn.listed.len() {
                    let _ = writeln!(t, "    ... and {} more", conn.total - conn.listed.len());
                }
            }
        }
        VerificationReport { text: t }
    }
}
