//! Test support: a real `redis-server` started on an ephemeral port, and a
//! differential runner that sends the same raw requests to it and to
//! mock-redis and compares the raw reply bytes, in RESP2 and in RESP3.
//!
//! ```ignore
//! mod support;
//! use support::{case, Differ};
//!
//! #[tokio::test]
//! async fn strings() {
//!     let Some(differ) = Differ::start().await else { return };
//!     differ
//!         .check(&[
//!             case("set and get").cmd(["SET", "k", "v"]).cmd(["GET", "k"]),
//!             case("bad arity").cmd(["GET"]),
//!             case("raw bytes").raw(b"*1\r\n:1\r\n", 1),
//!             case("unordered").cmd_sorted(["KEYS", "*"]),
//!         ])
//!         .await;
//! }
//! ```
//!
//! Each case runs twice, on fresh connections: once in RESP2 and once after
//! `HELLO 3`. Before each run the real server gets `FLUSHALL` and mock-redis
//! is a brand-new server, so cases do not see each other's keys. Cases that
//! change server configuration must restore it themselves.
//!
//! When `redis-server` is missing (neither `$REDIS_SERVER` nor `PATH` has
//! it), [`Differ::start`] prints why and returns `None`, so the test passes
//! as skipped; with `MOCK_REDIS_REQUIRE_REDIS=1` (set by CI) it panics
//! instead, so a broken CI install cannot hide behind skips.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mock_redis::MockRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long to wait for one reply before calling it missing.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

/// Where to find `redis-server`: `$REDIS_SERVER`, else `redis-server` on `PATH`.
pub fn redis_server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        let path = PathBuf::from(path);
        return path.exists().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
}

/// Whether a missing redis-server should fail the test rather than skip it.
fn redis_required() -> bool {
    std::env::var("MOCK_REDIS_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// A real redis-server child process on an ephemeral port, killed on drop.
pub struct RealRedis {
    child: Child,
    pub port: u16,
    /// redis-server's working directory, so SAVE or CONFIG SET appendonly
    /// never write into the repository.
    _dir: tempfile::TempDir,
}

impl RealRedis {
    /// Starts redis-server, or returns `None` (after saying why) when it is absent.
    pub fn start() -> Option<RealRedis> {
        let Some(binary) = redis_server_binary() else {
            let msg = "redis-server not found (set REDIS_SERVER or install redis-server): \
                       skipping the differential test";
            if redis_required() {
                panic!("{msg}, but MOCK_REDIS_REQUIRE_REDIS=1");
            }
            eprintln!("SKIPPED: {msg}");
            return None;
        };
        // redis-server cannot be handed a bound socket, so this is one of
        // the few places that needs a port number chosen in advance.
        for _attempt in 0..10 {
            let port = portpicker::pick_unused_port().expect("no free port");
            let dir = tempfile::tempdir().expect("a temporary directory");
            let child = Command::new(&binary)
                .current_dir(dir.path())
                .args(["--dir", &dir.path().display().to_string()])
                .args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1"])
                .args(["--save", ""])
                .args(["--appendonly", "no"])
                .args(["--protected-mode", "no"])
                .args(["--daemonize", "no"])
                .args(["--loglevel", "warning"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            let mut server = RealRedis {
                child,
                port,
                _dir: dir,
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // exited: most likely the port was taken meanwhile
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(server);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = server.child.kill();
        }
        panic!("redis-server did not start after 10 attempts");
    }
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to compare one reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Byte for byte.
    Exact,
    /// The top-level aggregate's elements in any order (Redis's order is a hash order).
    Sorted,
    /// Byte for byte after replacing every integer reply with `:N` (ids, timestamps).
    MaskIntegers,
    /// Only the reply's type byte (for output that is different by nature, like INFO).
    TypeOnly,
}

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

/// A command as a RESP multibulk request.
pub fn multibulk<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let args: Vec<Vec<u8>> = args.into_iter().map(|a| a.as_ref().to_vec()).collect();
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in &args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
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

/// Length of the first complete RESP2/RESP3 reply in `buf`, if there is one.
/// This only finds frame boundaries; it does not decode values.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let line_end = |from: usize| -> Option<usize> {
        buf.get(from..)?
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| from + p)
    };
    let first = *buf.first()?;
    let end = line_end(1)?;
    let header = std::str::from_utf8(&buf[1..end]).ok()?;
    let after = end + 2;
    match first {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after),
        b'$' | b'!' | b'=' => {
            let n: i64 = header.parse().ok()?;
            if n < 0 {
                return Some(after);
            }
            let total = after + n as usize + 2;
            (buf.len() >= total).then_some(total)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n: i64 = header.parse().ok()?;
            if n < 0 {
                return Some(after);
            }
            let items = if matches!(first, b'%' | b'|') {
                2 * n
            } else {
                n
            };
            let mut pos = after;
            for _ in 0..items {
                pos += frame_len(&buf[pos..])?;
            }
            if first == b'|' {
                // Attributes precede the reply they describe.
                pos += frame_len(&buf[pos..])?;
            }
            Some(pos)
        }
        _ => None,
    }
}

/// The elements of a top-level aggregate reply, as raw frames.
fn elements(reply: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let end = reply.windows(2).position(|w| w == b"\r\n")? + 2;
    let header = reply[..end].to_vec();
    let n: i64 = std::str::from_utf8(&reply[1..end - 2]).ok()?.parse().ok()?;
    let mut pos = end;
    let mut out = Vec::new();
    let per = if reply[0] == b'%' { 2 } else { 1 };
    for _ in 0..n.max(0) {
        let mut item = Vec::new();
        for _ in 0..per {
            let len = frame_len(&reply[pos..])?;
            item.extend_from_slice(&reply[pos..pos + len]);
            pos += len;
        }
        out.push(item);
    }
    Some((header, out))
}

/// Applies a comparison's normalisation to one reply.
pub fn normalize(reply: &[u8], compare: Compare) -> Vec<u8> {
    match compare {
        Compare::Exact => reply.to_vec(),
        Compare::TypeOnly => reply.iter().take(1).copied().collect(),
        Compare::Sorted => match reply.first() {
            Some(b'*' | b'~' | b'%' | b'>') => match elements(reply) {
                Some((header, mut items)) => {
                    items.sort();
                    let mut out = header;
                    items.iter().for_each(|i| out.extend_from_slice(i));
                    out
                }
                None => reply.to_vec(),
            },
            _ => reply.to_vec(),
        },
        Compare::MaskIntegers => {
            let mut out = Vec::with_capacity(reply.len());
            let mut i = 0;
            while i < reply.len() {
                let at_line_start = i == 0 || reply[i - 1] == b'\n';
                if at_line_start && reply[i] == b':' {
                    out.extend_from_slice(b":N");
                    while i < reply.len() && reply[i] != b'\r' {
                        i += 1;
                    }
                } else {
                    out.push(reply[i]);
                    i += 1;
                }
            }
            out
        }
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

async fn read_reply(conn: &mut TcpStream, buf: &mut Vec<u8>, eof: &mut bool) -> Option<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
    loop {
        if let Some(len) = frame_len(buf) {
            return Some(buf.drain(..len).collect());
        }
        if *eof {
            return None;
        }
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout_at(deadline, conn.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => *eof = true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return None,
        }
    }
}

async fn run_case(port: u16, case: &Case, resp3: bool) -> Transcript {
    let mut conn = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut buf = Vec::new();
    let mut eof = false;
    let mut replies = Vec::new();
    let hello = case_hello_step();
    let steps = resp3.then_some(&hello).into_iter().chain(&case.steps);
    for step in steps {
        let mut got = Vec::new();
        if conn.write_all(&step.bytes).await.is_err() {
            eof = true;
        }
        for _ in 0..step.replies {
            match read_reply(&mut conn, &mut buf, &mut eof).await {
                Some(reply) => got.push(normalize(&reply, step.compare)),
                None => {
                    got.push(if eof {
                        b"<closed>".to_vec()
                    } else {
                        b"<no reply>".to_vec()
                    });
                    break;
                }
            }
        }
        replies.push(got);
    }
    // Anything left over, and whether the server closed the connection.
    if !eof {
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout(Duration::from_millis(50), conn.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => eof = true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {}
        }
    }
    if !buf.is_empty() {
        replies.push(vec![[b"<unexpected> ".as_slice(), &buf].concat()]);
    }
    Transcript {
        replies,
        closed: eof,
    }
}

fn case_hello_step() -> Step {
    Step {
        bytes: multibulk(["HELLO", "3"]),
        replies: 1,
        compare: Compare::MaskIntegers,
        label: "HELLO 3".into(),
    }
}

/// Runs cases against a real redis-server and mock-redis.
pub struct Differ {
    real: RealRedis,
}

/// Totals across every check in this test binary, for the closing summary.
pub static CASES_RUN: AtomicUsize = AtomicUsize::new(0);

impl Differ {
    /// Starts a real redis-server, or returns `None` (printing why) when the
    /// test must be skipped.
    pub async fn start() -> Option<Differ> {
        Some(Differ {
            real: RealRedis::start()?,
        })
    }

    /// The real server's port, for tests that need to talk to it directly.
    pub fn real_port(&self) -> u16 {
        self.real.port
    }

    /// Runs every case in RESP2 and RESP3 against both servers and panics
    /// with every difference found.
    pub async fn check(&self, cases: &[Case]) {
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

    async fn flush_real(&self) {
        let mut conn = TcpStream::connect(("127.0.0.1", self.real.port))
            .await
            .expect("connect to redis-server");
        conn.write_all(&multibulk(["FLUSHALL"])).await.unwrap();
        let mut buf = Vec::new();
        let mut eof = false;
        read_reply(&mut conn, &mut buf, &mut eof).await;
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

/// Bytes as a Rust-like escaped string.
pub fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// An argument as redis-cli would quote it.
fn quote(arg: &[u8]) -> String {
    if !arg.is_empty()
        && arg
            .iter()
            .all(|b| b.is_ascii_graphic() && *b != b'"' && *b != b'\'')
    {
        String::from_utf8_lossy(arg).into_owned()
    } else {
        format!("\"{}\"", escape(arg))
    }
}
