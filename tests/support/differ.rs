//! [`Differ`]: one real redis-server per test, and the single-connection
//! runner: each [`Case`] (a list of steps, each some request bytes and the
//! number of replies they produce) runs twice on each server, on fresh
//! connections, once in RESP2 and once after `HELLO 3`, and the raw reply
//! bytes are compared (exactly, or as the step's [`Compare`] says).
//!
//! Before each run the real server gets `FLUSHALL` and mock-redis is a
//! brand-new server, so cases do not see each other's keys. Cases that change
//! server configuration must restore it themselves.
//!
//! Nothing waits on time. A step's replies are read frame by frame (a frame
//! that never comes is reported after [`PATIENCE`]). After the last step the
//! runner asks the server, on a connection of its own, whether it still
//! lists the case's client: both servers drop a client they close after a
//! reply (QUIT, a protocol error) before they serve another connection, so
//! an unlisted client is closed (its remaining bytes are read to EOF) and a
//! listed one stays open. That is why a case must end with a step that
//! expects a reply: nothing else tells the runner the server has read the
//! last bytes. The case's connection is then closed and the runner waits
//! until the server no longer lists it, so the next case never meets it
//! (in `PUBSUB NUMSUB`, say).

use std::sync::atomic::{AtomicUsize, Ordering};

use mock_redis::MockRedis;

use super::conn::{Control, PATIENCE, RawConn, Read};
use super::redis_server::RealRedis;
use super::resp::{Compare, escape, multibulk, normalize, quote};

/// One step of a case: bytes to send and how many replies they produce.
#[derive(Clone, Debug)]
pub struct Step {
    pub bytes: Vec<u8>,
    pub replies: usize,
    pub compare: Compare,
    pub label: String,
}

/// A named script of requests.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub steps: Vec<Step>,
}

/// Starts a case.
pub fn case(name: &str) -> Case {
    Case {
        name: name.to_string(),
        steps: Vec::new(),
    }
}

impl Case {
    fn step(mut self, bytes: Vec<u8>, replies: usize, compare: Compare, label: String) -> Case {
        self.steps.push(Step {
            bytes,
            replies,
            compare,
            label,
        });
        self
    }

    /// A command, compared byte for byte.
    pub fn cmd<I, S>(self, args: I) -> Case
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.cmd_with(args, Compare::Exact)
    }

    /// A command whose top-level aggregate may come in any order.
    pub fn cmd_sorted<I, S>(self, args: I) -> Case
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.cmd_with(args, Compare::Sorted)
    }

    /// A command compared as `compare` says.
    pub fn cmd_with<I, S>(self, args: I, compare: Compare) -> Case
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let args: Vec<Vec<u8>> = args.into_iter().map(|a| a.as_ref().to_vec()).collect();
        let label = args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
        self.step(multibulk(&args), 1, compare, label)
    }

    /// An inline command (`PING\r\n`).
    pub fn inline(self, line: &str) -> Case {
        let label = format!("inline {line:?}");
        self.step(format!("{line}\r\n").into_bytes(), 1, Compare::Exact, label)
    }

    /// Raw bytes expected to produce `replies` replies.
    pub fn raw(self, bytes: &[u8], replies: usize) -> Case {
        let label = format!("raw {}", escape(bytes));
        self.step(bytes.to_vec(), replies, Compare::Exact, label)
    }
}

/// What one side produced for a run of a case.
#[derive(Debug, PartialEq)]
struct Transcript {
    /// Per step, the replies read (normalised), or a marker when a reply was missing.
    replies: Vec<Vec<Vec<u8>>>,
    /// Whether the server closed the connection after the last step.
    closed: bool,
}

async fn run_case(port: u16, case: &Case, resp3: bool) -> Transcript {
    let mut conn = RawConn::open(port).await;
    let mut replies = Vec::new();
    let hello = case_hello_step();
    let steps = resp3.then_some(&hello).into_iter().chain(&case.steps);
    for step in steps {
        let mut got = Vec::new();
        conn.send(&step.bytes).await;
        for _ in 0..step.replies {
            match conn.read_frame().await {
                Read::Frame(reply) => got.push(normalize(&reply, step.compare)),
                Read::Closed => {
                    got.push(b"<closed>".to_vec());
                    break;
                }
                Read::TimedOut => {
                    got.push(b"<no reply>".to_vec());
                    break;
                }
            }
        }
        replies.push(got);
    }
    // Whether the server closed the connection, and anything it sent beyond
    // the replies the steps expect.
    let mut control = Control::open(port).await;
    let addr = conn.local_addr().to_string();
    if !conn.is_closed() {
        if control.client_line(&addr).await.is_none() {
            if !conn.read_to_eof().await {
                replies.push(vec![b"<unlisted, yet open>".to_vec()]);
            }
        } else {
            conn.read_available();
        }
    }
    let closed = conn.is_closed();
    let left = conn.take_buffer();
    if !left.is_empty() {
        replies.push(vec![[b"<unexpected> ".as_slice(), &left].concat()]);
    }
    drop(conn);
    assert!(
        control.await_gone(&addr).await,
        "the server still lists a closed connection after {PATIENCE:?}"
    );
    Transcript { replies, closed }
}

fn case_hello_step() -> Step {
    Step {
        bytes: multibulk(["HELLO", "3"]),
        replies: 1,
        compare: Compare::MaskIntegers,
        label: "HELLO 3".into(),
    }
}

/// Runs cases (and, in `multi`, multi-connection scripts) against a real
/// redis-server and mock-redis.
pub struct Differ {
    real: RealRedis,
}

/// Totals across every check in this test binary, for the closing summary.
pub static CASES_RUN: AtomicUsize = AtomicUsize::new(0);

impl Differ {
    /// Starts a real redis-server, or returns `None` (printing why) when the
    /// test must be skipped.
    pub async fn start() -> Option<Differ> {
        Differ::start_with(&[]).await
    }

    /// As [`Differ::start`], redis-server started with extra options.
    pub async fn start_with(extra: &[&str]) -> Option<Differ> {
        Some(Differ {
            real: RealRedis::start_with(extra)?,
        })
    }

    /// The real server's port, for tests that need to talk to it directly.
    pub fn real_port(&self) -> u16 {
        self.real.port
    }

    /// Runs every case in RESP2 and RESP3 against both servers and panics
    /// with every difference found.
    pub async fn check(&self, cases: &[Case]) {
        for case in cases {
            assert!(
                case.steps.last().is_some_and(|s| s.replies > 0),
                "case {:?} must end with a step that expects a reply",
                case.name
            );
        }
        let mut failures = Vec::new();
        let mut replies = 0;
        for case in cases {
            for resp3 in [false, true] {
                self.flush_real().await;
                let mock = MockRedis::start().await;
                let (expected, actual) = tokio::join!(
                    run_case(self.real.port, case, resp3),
                    run_case(mock.port(), case, resp3)
                );
                mock.shutdown().await;
                replies += expected.replies.iter().map(Vec::len).sum::<usize>();
                if expected != actual {
                    failures.push(describe(case, resp3, &expected, &actual));
                }
            }
        }
        CASES_RUN.fetch_add(cases.len(), Ordering::Relaxed);
        eprintln!(
            "differential: {} cases x 2 protocols, {} replies compared, {} runs differ",
            cases.len(),
            replies,
            failures.len()
        );
        if !failures.is_empty() {
            panic!(
                "{} of {} differential runs differ from redis-server:\n\n{}",
                failures.len(),
                cases.len() * 2,
                failures.join("\n")
            );
        }
    }

    /// `FLUSHALL` on the real server.
    pub(super) async fn flush_real(&self) {
        let mut conn = RawConn::open(self.real.port).await;
        let reply = conn.cmd(["FLUSHALL"]).await;
        assert_eq!(reply, b"+OK\r\n", "FLUSHALL on redis-server");
    }
}

fn describe(case: &Case, resp3: bool, expected: &Transcript, actual: &Transcript) -> String {
    let proto = if resp3 { "RESP3" } else { "RESP2" };
    let mut out = format!("case {:?} ({proto}):\n", case.name);
    let hello = case_hello_step();
    let labels: Vec<&str> = resp3
        .then_some(hello.label.as_str())
        .into_iter()
        .chain(case.steps.iter().map(|s| s.label.as_str()))
        .collect();
    let steps = expected.replies.len().max(actual.replies.len());
    for i in 0..steps {
        let e = expected.replies.get(i);
        let a = actual.replies.get(i);
        if e != a {
            let label = labels.get(i).copied().unwrap_or("(after the script)");
            let show = |r: Option<&Vec<Vec<u8>>>| {
                r.map(|r| r.iter().map(|x| escape(x)).collect::<Vec<_>>().join(" | "))
                    .unwrap_or_else(|| "(nothing)".into())
            };
            out.push_str(&format!(
                "  step {i}: {label}\n    redis: {}\n    mock:  {}\n",
                show(e),
                show(a)
            ));
        }
    }
    if expected.closed != actual.closed {
        out.push_str(&format!(
            "  connection closed afterwards: redis {}, mock {}\n",
            expected.closed, actual.closed
        ));
    }
    out
}
