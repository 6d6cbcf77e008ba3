//! A real `redis-server` child process on an ephemeral port, for the
//! differential tests and for the few client tests that compare with Redis.
//!
//! When `redis-server` is missing (neither `$REDIS_SERVER` nor `PATH` has
//! it), [`RealRedis::start`] prints why and returns `None`, so the test passes
//! as skipped; with `MOCK_REDIS_REQUIRE_REDIS=1` (set by CI) it panics
//! instead, so a broken CI install cannot hide behind skips.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::conn::PATIENCE;
use super::resp::frame_len;

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
    /// The child's process id (the in-process bench reads its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts redis-server, or returns `None` (after saying why) when it is absent.
    pub fn start() -> Option<RealRedis> {
        RealRedis::start_with(&[])
    }

    /// As [`RealRedis::start`], with extra command-line options
    /// (`--enable-debug-command local`, as mock-redis in a library).
    pub fn start_with(extra: &[&str]) -> Option<RealRedis> {
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
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            let mut server = RealRedis {
                child,
                port,
                _dir: dir,
            };
            let deadline = Instant::now() + PATIENCE;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // exited: most likely the port was taken meanwhile
                }
                if let Ok(conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                    // Whoever listens must be this child, not another
                    // process that took the port meanwhile.
                    if serves_pid(conn, server.child.id()) {
                        return Some(server);
                    }
                    break;
                }
                std::thread::sleep(Duration::from_millis(5)); // pacing of the poll
            }
            let _ = server.child.kill();
        }
        panic!("redis-server did not start after 10 attempts");
    }
}

/// Whether the server behind `conn` reports `process_id:pid` in `INFO server`.
fn serves_pid(mut conn: std::net::TcpStream, pid: u32) -> bool {
    use std::io::{Read, Write};
    let _ = conn.set_read_timeout(Some(PATIENCE));
    if conn.write_all(b"INFO server\r\n").is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    while frame_len(&reply).is_none() {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&reply)
        .lines()
        .any(|line| line.trim_end() == format!("process_id:{pid}"))
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
