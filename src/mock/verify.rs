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
/// calls, and a hint when a near-identical command such as `SETEX` for
/// `SET ... EX` arrived instead), the matchers or responders that panicked
/// (the command and the mock), the commands strict mode refused, each
/// command no mock matched with the closest mock and the matcher that
/// rejected it (commands no mock accepts any part of are left out), and
/// the commands received per connection, quoted as `redis-cli` prints
/// them, the handshake each connection opened with folded into one line.
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

impl VerificationReport {
    /// A report of `text` (a cluster's, gathered from its nodes).
    pub(crate) fn from_text(text: String) -> VerificationReport {
        VerificationReport { text }
    }
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
    /// Near-identical commands that arrived instead: `expected ...;
    /// received ... (same effect, different command)`.
    pub hints: Vec<String>,
}

/// Everything a report says, gathered by the registry.
pub(crate) struct Findings<'a> {
    /// Mocks whose expectation was not met.
    pub failures: Vec<Failure>,
    /// Matchers or responders that panicked: the command, the mock and the
    /// message.
    pub panics: &'a [String],
    /// Commands strict mode refused, each with why the closest mock
    /// rejected it when a mock accepts any part of it.
    pub refused: Vec<(&'a Request, Option<String>)>,
    /// Commands the engine answered because no mock matched (at most
    /// [`EXPLAINED`]), each with why the closest mock rejected it; those no
    /// mock accepts any part of are left out.
    pub unmatched: Vec<(&'a Request, String)>,
    /// How many such commands there are, in all.
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
    /// The first [`LISTED_PER_CONNECTION`] commands.
    pub listed: Vec<Listed<'a>>,
}

/// One command of a connection's part of the journal.
pub(crate) struct Listed<'a> {
    pub request: &'a Request,
    /// Who answered it (`engine`, `mock 'name'`, ...).
    pub by: String,
    /// Part of the handshake the connection opened with, answered by the
    /// engine: folded into one line with its neighbours.
    pub handshake: bool,
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
                for hint in &f.hints {
                    let _ = writeln!(t, "    hint: {hint}");
                }
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
            for (r, closest) in &self.refused {
                let _ = write!(t, "  - {} (connection {})", r, r.connection_id());
                match closest {
                    Some(closest) => {
                        let _ = writeln!(t, ": {closest}");
                    }
                    None => t.push('\n'),
                }
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
                write_listed(&mut t, &conn.listed);
                if conn.total > conn.listed.len() {
                    let _ = writeln!(t, "    ... and {} more", conn.total - conn.listed.len());
                }
            }
        }
        VerificationReport { text: t }
    }
}

/// Writes one connection's commands, numbered from 1, folding each run of
/// handshake commands into one line that names them:
/// `1-3) (3 handshake commands: HELLO, CLIENT SETINFO x2)  <- engine`.
fn write_listed(t: &mut String, listed: &[Listed<'_>]) {
    let mut i = 0;
    while i < listed.len() {
        let Listed {
            request,
            by,
            handshake,
        } = &listed[i];
        if !handshake {
            let _ = writeln!(t, "    {}) {request}  <- {by}", i + 1);
            i += 1;
            continue;
        }
        let run = listed[i..].iter().take_while(|l| l.handshake).count();
        // Repeats of one command are counted: `CLIENT SETINFO x2`.
        let mut names: Vec<(String, usize)> = Vec::new();
        for l in &listed[i..i + run] {
            let name = l.request.command_words();
            match names.last_mut() {
                Some((last, n)) if *last == name => *n += 1,
                _ => names.push((name, 1)),
            }
        }
        let names: Vec<String> = names
            .into_iter()
            .map(|(name, n)| if n == 1 { name } else { format!("{name} x{n}") })
            .collect();
        let numbers = if run == 1 {
            format!("{}", i + 1)
        } else {
            format!("{}-{}", i + 1, i + run)
        };
        let _ = writeln!(
            t,
            "    {numbers}) ({run} handshake command{}: {})  <- {by}",
            if run == 1 { "" } else { "s" },
            names.join(", ")
        );
        i += run;
    }
}
