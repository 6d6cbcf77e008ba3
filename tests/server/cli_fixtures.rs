//! The `mock-redis` binary with `--mocks` (feature `cli`): a fixture file's
//! mocks and keys served to any client, a bad file refused before anything
//! listens, and the verification report on exit.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::RawConn;

const BIN: &str = env!("CARGO_BIN_EXE_mock-redis");

/// A running binary, its port, and the rest of its stderr.
pub(crate) struct Cli {
    child: Child,
    pub(crate) port: u16,
    stderr: BufReader<std::process::ChildStderr>,
}

/// Starts the binary on an ephemeral port with `args`; returns once it
/// listens (`record_replay.rs` uses it too).
pub(crate) fn start(args: &[&str]) -> Cli {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let port = loop {
        line.clear();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "the binary exited before listening");
        if let Some(i) = line.find("127.0.0.1:") {
            let digits: String = line[i + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            break digits.parse().unwrap();
        }
    };
    Cli {
        child,
        port,
        stderr,
    }
}

impl Cli {
    /// Sends SIGINT, waits for the exit and returns its code and the rest of
    /// stderr.
    pub(crate) fn interrupt(self) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.wait()
    }

    /// Waits for the exit and returns its code and the rest of stderr.
    pub(crate) fn wait(mut self) -> (Option<i32>, String) {
        let mut rest = String::new();
        for line in (&mut self.stderr).lines() {
            rest.push_str(&line.unwrap());
            rest.push('\n');
        }
        (self.child.wait().unwrap().code(), rest)
    }
}

fn write(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("mocks.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn serves_the_file_and_reports_unmet_expectations_on_exit() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        r#"
[[mock]]
name = "lookup"
command = "GET"
args = ["user:1"]
reply = "alice"
expect = 2

[[key]]
name = "user:2"
string = "bob"
"#,
    );
    let cli = start(&["--mocks", &file]);
    let mut c = RawConn::open(cli.port).await;
    assert_eq!(c.cmd(["GET", "user:1"]).await, b"$5\r\nalice\r\n");
    assert_eq!(c.cmd(["GET", "user:2"]).await, b"$3\r\nbob\r\n");
    let (code, stderr) = cli.interrupt();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("mock 'lookup': expected exactly 2 calls, received 1 call"),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#""GET" "user:2""#),
        "the report lists what was received: {stderr}"
    );
}

#[tokio::test]
async fn met_expectations_exit_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "[[mock]]\ncommand = \"PING\"\nreply = { simple = \"HI\" }\nexpect = 1\n",
    );
    let cli = start(&["--mocks", &file]);
    let mut c = RawConn::open(cli.port).await;
    assert_eq!(c.cmd(["PING"]).await, b"+HI\r\n");
    let (code, stderr) = cli.interrupt();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_bad_file_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "[[mock]]\ncommand = \"GET\"\nreply = { simpel = \"x\" }\n",
    );
    let out = Command::new(BIN)
        .args(["--port", "0", "--mocks", &file])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{file}:3:9: unknown reply kind `simpel`")),
        "{stderr}"
    );
    assert!(!stderr.contains("Ready to accept"), "{stderr}");
}

/// `--user` (repeatable, redis.conf's `user` syntax) and `--aclfile`.
#[tokio::test]
async fn acl_users_from_flags_and_from_a_file() {
    let cli = start(&[
        "--user",
        "alice on >pw ~cache:* +@read",
        "--user",
        "bob on nopass ~* +@all",
    ]);
    let url = format!("redis://alice:pw@127.0.0.1:{}", cli.port);
    let mut conn = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let err = redis::cmd("GET")
        .arg("secret")
        .query_async::<Option<String>>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"));
    let none: Option<String> = redis::cmd("GET")
        .arg("cache:1")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(none, None);
    drop(conn);
    let (code, _) = cli.interrupt();
    assert_eq!(code, Some(0));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.acl");
    std::fs::write(&path, "user carol on >c ~* +@all\n").unwrap();
    let cli = start(&["--aclfile", &path.display().to_string()]);
    let url = format!("redis://carol:c@127.0.0.1:{}", cli.port);
    let mut conn = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let who: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(who, "carol");
    drop(conn);
    let _ = cli.interrupt();

    let out = Command::new(BIN)
        .args(["--port", "0", "--user", "dave on +nosuch"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Error loading ACL rule '+nosuch' for the user named 'dave'"),
        "{stderr}"
    );
}
