//! Raw connections that read whole RESP frames ([`RawConn`]), and the
//! acknowledgements tests wait on instead of sleeping ([`Control`]): whether
//! the server under test lists a client, whether it lists it as blocked, and
//! how far the server's clock has moved.
//!
//! Every wait here ends on an acknowledgement. [`PATIENCE`] bounds each one
//! only to turn a hang into a failure; it is generous so that a loaded
//! machine never trips it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::resp::{aggregate_items, bulk_payload, escape, frame_len, multibulk};

/// How long any wait may last before the test calls it a failure. A failure
/// detector only: on a healthy machine, however loaded, every wait ends on
/// its acknowledgement long before.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The pause between two polls of a condition: pacing, so that a poll loop
/// does not flood a loaded machine; never a wait for the condition itself.
pub const POLL_GAP: Duration = Duration::from_millis(2);

/// Polls `f` until it returns true; panics, naming `what`, once
/// [`PATIENCE`] has passed.
pub async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !f().await {
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {what} after {PATIENCE:?}"
        );
        tokio::time::sleep(POLL_GAP).await;
    }
}

/// How a read of one frame ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// A complete frame.
    Frame(Vec<u8>),
    /// The server closed the connection before a complete frame arrived.
    Closed,
    /// [`PATIENCE`] passed without a complete frame.
    TimedOut,
}

/// A TCP connection with a read buffer, read one complete RESP frame at a
/// time.
pub struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
    closed: bool,
    local: String,
}

impl RawConn {
    /// Connects to `127.0.0.1:port`.
    pub async fn open(port: u16) -> RawConn {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
        RawConn::new(stream)
    }

    /// Wraps a connected stream.
    pub fn new(stream: TcpStream) -> RawConn {
        let local = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        RawConn {
            stream,
            buf: Vec::new(),
            closed: false,
            local,
        }
    }

    /// This end's address, as the server shows it in `CLIENT LIST`'s `addr=`.
    pub fn local_addr(&self) -> &str {
        &self.local
    }

    /// Whether the server has closed the connection (or a write failed).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Writes `bytes`; a failed write marks the connection closed.
    pub async fn send(&mut self, bytes: &[u8]) {
        if self.stream.write_all(bytes).await.is_err() {
            self.closed = true;
        }
    }

    /// A complete frame already in the buffer, if there is one.
    pub fn buffered_frame(&mut self) -> Option<Vec<u8>> {
        let len = frame_len(&self.buf)?;
        Some(self.buf.drain(..len).collect())
    }

    /// The next frame, waiting at most [`PATIENCE`] for it.
    pub async fn read_frame(&mut self) -> Read {
        self.read_frame_by(Instant::now() + PATIENCE).await
    }

    /// The next frame, waiting until `deadline` at most.
    pub async fn read_frame_by(&mut self, deadline: Instant) -> Read {
        loop {
            if let Some(frame) = self.buffered_frame() {
                return Read::Frame(frame);
            }
            if self.closed {
                return Read::Closed;
            }
            let mut chunk = [0u8; 16 * 1024];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => self.closed = true,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return Read::TimedOut,
            }
        }
    }

    /// Moves whatever the socket holds right now into the buffer, without
    /// waiting (a plain non-blocking `read(2)`, so it does not depend on when
    /// the runtime last polled the socket); notes a close.
    pub fn read_available(&mut self) {
        use std::io::Read as _;
        let sock = socket2::SockRef::from(&self.stream);
        let mut chunk = [0u8; 16 * 1024];
        while !self.closed {
            match (&*sock).read(&mut chunk) {
                Ok(0) => self.closed = true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => self.closed = true,
            }
        }
    }

    /// Reads until the server closes the connection; false if [`PATIENCE`]
    /// passed first. What arrived stays in the buffer.
    pub async fn read_to_eof(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while !self.closed {
            let mut chunk = [0u8; 16 * 1024];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => self.closed = true,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return false,
            }
        }
        true
    }

    /// Everything buffered, complete frames or not.
    pub fn take_buffer(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Sends one command and returns its reply; panics if the connection
    /// closes or no reply comes within [`PATIENCE`].
    pub async fn cmd<I, S>(&mut self, args: I) -> Vec<u8>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let request = multibulk(args);
        self.send(&request).await;
        match self.read_frame().await {
            Read::Frame(frame) => frame,
            other => panic!("{}: {other:?}", escape(&request)),
        }
    }
}

/// A connection of the test's own to the server under test, for the
/// questions a test waits on: is this client listed, is it blocked, how far
/// has the server's clock moved. Both redis-server and mock-redis answer them
/// from the state their clients act on (`CLIENT LIST`'s `flags=b` is set when
/// the client is queued as a waiter on its keys, and cleared when it is
/// served or times out), so an answer is an acknowledgement, not a guess.
pub struct Control {
    conn: RawConn,
}

impl Control {
    /// Opens the control connection (RESP2).
    pub async fn open(port: u16) -> Control {
        Control {
            conn: RawConn::open(port).await,
        }
    }

    /// The `CLIENT LIST` line of the client whose address is `addr`, or
    /// `None` when the server does not list it (it has closed or freed it).
    pub async fn client_line(&mut self, addr: &str) -> Option<String> {
        let reply = self.conn.cmd(["CLIENT", "LIST"]).await;
        let text = bulk_payload(&reply)
            .unwrap_or_else(|| panic!("CLIENT LIST answered {}", escape(&reply)));
        let wanted = format!("addr={addr}");
        String::from_utf8_lossy(text)
            .lines()
            .find(|line| line.split(' ').any(|field| field == wanted))
            .map(str::to_string)
    }

    /// Whether the server lists `addr` as blocked (`flags=` holds `b`).
    pub async fn is_blocked(&mut self, addr: &str) -> bool {
        self.client_line(addr).await.is_some_and(|line| {
            line.split(' ')
                .find_map(|field| field.strip_prefix("flags="))
                .is_some_and(|flags| flags.contains('b'))
        })
    }

    /// Polls until the server lists `addr` as blocked; false if it did not
    /// within [`PATIENCE`].
    pub async fn await_blocked(&mut self, addr: &str) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.is_blocked(addr).await {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL_GAP).await;
        }
    }

    /// Polls until the server no longer lists `addr` (a closed connection is
    /// freed); false if it still did after [`PATIENCE`].
    pub async fn await_gone(&mut self, addr: &str) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.client_line(addr).await.is_none() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL_GAP).await;
        }
    }

    /// The server's clock (`TIME`), since the Unix epoch.
    pub async fn time(&mut self) -> Duration {
        let reply = self.conn.cmd(["TIME"]).await;
        let parts: Vec<u64> = aggregate_items(&reply)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| std::str::from_utf8(bulk_payload(item)?).ok()?.parse().ok())
            .collect();
        match parts[..] {
            [secs, micros] => Duration::from_secs(secs) + Duration::from_micros(micros),
            _ => panic!("TIME answered {}", escape(&reply)),
        }
    }

    /// Polls until the server's clock has moved `d` past its reading at the
    /// call: for a test that needs time itself to pass on the server (a key
    /// to expire), measured where it matters. False after [`PATIENCE`].
    pub async fn await_elapsed(&mut self, d: Duration) -> bool {
        let start = self.time().await;
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.time().await >= start + d {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL_GAP).await;
        }
    }
}
