//! Multi-connection scripts: a [`Script`] is a sequence of actions on
//! numbered connections, played against redis-server and mock-redis (every
//! connection in RESP2, then every connection after `HELLO 3`); every frame
//! each connection receives is logged, and the two logs are compared.
//!
//! ```ignore
//! differ
//!     .check_scripts(&[script("a waiter is served by a push", 2)
//!         .block(0, "BLPOP q 0")
//!         .send(1, "RPUSH q x")
//!         .read(1, 1)
//!         .read(0, 1)])
//!     .await;
//! ```
//!
//! Actions happen in script order because each waits for its
//! acknowledgement before the next starts, never for time:
//!
//! - [`Script::send`]: its reply (one frame, or one confirmation per channel
//!   for the SUBSCRIBE family) has arrived. Replies are kept for a later
//!   [`Script::read`], which logs them; pub/sub messages that arrive
//!   meanwhile are never taken for a reply.
//! - [`Script::block`]: the server under test lists the client as blocked
//!   (`CLIENT LIST` `flags=b`, asked on a control connection of the test's own).
//! - [`Script::queue`]: nothing (bytes pipelined behind a blocked command,
//!   which the server must not answer yet).
//! - [`Script::drain`]: everything the connection was sent so far: a
//!   blocked connection is checked to be still blocked; any other gets a
//!   `PING <token>` and what arrives before its answer is logged.
//! - [`Script::close`]: the server no longer lists the client.
//! - [`Script::elapse`]: the server's own clock (`TIME`) has moved on.
//!
//! At the end every open connection is drained (logged as `(unread)`),
//! closed, and waited for until the server has dropped it.

use std::collections::VecDeque;
use std::time::Duration;

use mock_redis::MockRedis;

use super::conn::{Control, RawConn, Read};
use super::differ::Differ;
use super::resp::{aggregate_items, bulk_payload, escape, is_message, multibulk};

/// One action of a script.
#[derive(Clone, Debug)]
enum Act {
    /// Send a command and wait until its `replies` reply frames arrived.
    Send {
        conn: usize,
        line: &'static str,
        replies: usize,
    },
    /// Send a command and wait until the server lists the client as blocked.
    Block { conn: usize, line: &'static str },
    /// Send a command behind a blocked one, with no acknowledgement.
    Queue { conn: usize, line: &'static str },
    /// Log the next `n` frames of a connection.
    Read { conn: usize, n: usize },
    /// Log everything a connection was sent so far.
    Drain { conn: usize },
    /// Close a connection.
    Close { conn: usize },
    /// Let the server's clock move on.
    Elapse(Duration),
}

/// A named multi-connection script (see the module documentation).
#[derive(Clone, Debug)]
pub struct Script {
    name: String,
    conns: usize,
    acts: Vec<Act>,
}

/// Starts a script on `conns` connections, numbered from 0.
pub fn script(name: &str, conns: usize) -> Script {
    Script {
        name: name.to_string(),
        conns,
        acts: Vec::new(),
    }
}

/// How many frames a command answers with: one per channel for the
/// SUBSCRIBE family, else one.
fn reply_count(line: &str) -> usize {
    let mut words = line.split(' ');
    let name = words.next().unwrap_or_default().to_ascii_uppercase();
    let subscription = matches!(
        name.as_str(),
        "SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE" | "UNSUBSCRIBE" | "PUNSUBSCRIBE" | "SUNSUBSCRIBE"
    );
    if !subscription {
        return 1;
    }
    let channels = words.count();
    assert!(
        channels > 0,
        "{line:?}: say how many confirmations to wait for with send_n"
    );
    channels
}

impl Script {
    fn act(mut self, act: Act) -> Script {
        let conn = match act {
            Act::Send { conn, .. }
            | Act::Block { conn, .. }
            | Act::Queue { conn, .. }
            | Act::Read { conn, .. }
            | Act::Drain { conn }
            | Act::Close { conn } => Some(conn),
            Act::Elapse(_) => None,
        };
        assert!(
            conn.is_none_or(|c| c < self.conns),
            "script {:?}: connection {conn:?} of {}",
            self.name,
            self.conns
        );
        self.acts.push(act);
        self
    }

    /// Sends a command (arguments split on spaces) on connection `conn` and
    /// waits for its reply: one frame, or one confirmation per channel for
    /// SUBSCRIBE and friends.
    pub fn send(self, conn: usize, line: &'static str) -> Script {
        let replies = reply_count(line);
        self.send_n(conn, line, replies)
    }

    /// Sends a command and waits for `replies` reply frames.
    pub fn send_n(self, conn: usize, line: &'static str, replies: usize) -> Script {
        self.act(Act::Send {
            conn,
            line,
            replies,
        })
    }

    /// Sends a blocking command that must block (BLPOP on an empty list, ...)
    /// and waits until the server under test lists the client as blocked.
    pub fn block(self, conn: usize, line: &'static str) -> Script {
        self.act(Act::Block { conn, line })
    }

    /// Sends a command behind a blocked one on the same connection: nothing
    /// acknowledges it until the blocked command is served.
    pub fn queue(self, conn: usize, line: &'static str) -> Script {
        self.act(Act::Queue { conn, line })
    }

    /// Logs the next `n` frames connection `conn` receives (replies kept from
    /// earlier sends, served blocked commands, messages), waiting for them.
    pub fn read(self, conn: usize, n: usize) -> Script {
        self.act(Act::Read { conn, n })
    }

    /// Logs everything connection `conn` has been sent so far and not read:
    /// a blocked connection must still be blocked; any other answers a
    /// `PING` barrier, and every frame before that answer is logged.
    pub fn drain(self, conn: usize) -> Script {
        self.act(Act::Drain { conn })
    }

    /// Closes connection `conn` and waits until the server has dropped it.
    pub fn close(self, conn: usize) -> Script {
        self.act(Act::Close { conn })
    }

    /// Waits until the server's clock (`TIME`) has moved `ms` milliseconds:
    /// for a key with a TTL to expire.
    pub fn elapse(self, ms: u64) -> Script {
        self.act(Act::Elapse(Duration::from_millis(ms)))
    }
}

/// The argument of the `PING` that [`Script::drain`] sends as a barrier.
const BARRIER: &str = "drain-barrier";

/// Whether `frame` answers the barrier `PING`: a bulk string, or in RESP2
/// subscribed mode `["pong", token]`.
fn is_barrier_reply(frame: &[u8]) -> bool {
    if bulk_payload(frame) == Some(BARRIER.as_bytes()) {
        return true;
    }
    aggregate_items(frame).is_some_and(|items| {
        items.len() == 2
            && bulk_payload(items[0]) == Some(b"pong")
            && bulk_payload(items[1]) == Some(BARRIER.as_bytes())
    })
}

/// One connection of a run.
struct Peer {
    conn: Option<RawConn>,
    /// Frames received and not logged yet, in arrival order.
    frames: VecDeque<Vec<u8>>,
    /// How many of `frames` are acknowledged replies (not messages, not the
    /// answer of a blocked command).
    owed: usize,
    /// The script blocked it and its answer has not been logged yet.
    blocked: bool,
}

impl Peer {
    fn replies(&self) -> usize {
        self.frames.iter().filter(|f| !is_message(f)).count()
    }

    /// Receives one more frame into `frames`, or says why not.
    async fn receive(&mut self) -> Result<(), &'static str> {
        let conn = self.conn.as_mut().expect("an open connection");
        match conn.read_frame().await {
            Read::Frame(frame) => {
                self.frames.push_back(frame);
                Ok(())
            }
            Read::Closed => Err("<closed>"),
            Read::TimedOut => Err("<no reply>"),
        }
    }

    /// Takes the oldest frame for the log.
    fn take(&mut self) -> Option<Vec<u8>> {
        let frame = self.frames.pop_front()?;
        if !is_message(&frame) {
            if self.owed > 0 {
                self.owed -= 1;
            } else {
                self.blocked = false;
            }
        }
        Some(frame)
    }
}

/// One run of a script on one server: the log of every frame received.
async fn play(port: u16, script: &Script, resp3: bool) -> Vec<String> {
    // Opened before the script's connections, on both servers alike, and
    // never used for anything a script compares.
    let mut control = Control::open(port).await;
    let mut peers = Vec::new();
    for _ in 0..script.conns {
        let mut conn = RawConn::open(port).await;
        if resp3 {
            let hello = conn.cmd(["HELLO", "3"]).await;
            assert_eq!(hello.first(), Some(&b'%'), "HELLO 3: {}", escape(&hello));
        }
        peers.push(Peer {
            conn: Some(conn),
            frames: VecDeque::new(),
            owed: 0,
            blocked: false,
        });
    }
    let mut log = Vec::new();
    for act in &script.acts {
        match *act {
            Act::Send {
                conn: n,
                line,
                replies,
            } => {
                let peer = &mut peers[n];
                assert!(
                    !peer.blocked,
                    "script {:?}: c{n} is blocked: read its answer first, or queue {line:?}",
                    script.name
                );
                let conn = peer.conn.as_mut().expect("an open connection");
                conn.send(&multibulk(line.split(' '))).await;
                let wanted = peer.owed + replies;
                while peer.replies() < wanted {
                    if let Err(why) = peer.receive().await {
                        log.push(format!("c{n}: {why} (waiting for the reply to {line:?})"));
                        break;
                    }
                }
                peer.owed = peer.replies().min(wanted);
            }
            Act::Block { conn: n, line } => {
                let peer = &mut peers[n];
                assert!(!peer.blocked, "c{n} is blocked already");
                let conn = peer.conn.as_mut().expect("an open connection");
                conn.send(&multibulk(line.split(' '))).await;
                let addr = conn.local_addr().to_string();
                if !control.await_blocked(&addr).await {
                    log.push(format!("c{n}: <never blocked by {line:?}>"));
                }
                peer.blocked = true;
            }
            Act::Queue { conn: n, line } => {
                let peer = &mut peers[n];
                assert!(peer.blocked, "c{n}: queue only behind a blocked command");
                let conn = peer.conn.as_mut().expect("an open connection");
                conn.send(&multibulk(line.split(' '))).await;
            }
            Act::Read { conn: n, n: count } => {
                let peer = &mut peers[n];
                for _ in 0..count {
                    if peer.frames.is_empty() {
                        if let Err(why) = peer.receive().await {
                            log.push(format!("c{n}: {why}"));
                            break;
                        }
                    }
                    let frame = peer.take().expect("a frame");
                    log.push(format!("c{n}: {}", escape(&frame)));
                }
            }
            Act::Drain { conn: n } => {
                drain(&mut control, &mut peers[n], n, "", &mut log).await;
            }
            Act::Close { conn: n } => {
                let conn = peers[n].conn.take().expect("an open connection");
                let addr = conn.local_addr().to_string();
                drop(conn);
                if !control.await_gone(&addr).await {
                    log.push(format!("c{n}: <still listed after closing>"));
                }
            }
            Act::Elapse(d) => {
                assert!(
                    control.await_elapsed(d).await,
                    "the server's clock did not move {d:?}"
                );
            }
        }
    }
    // Nothing else may be pending on any connection; then every connection
    // goes, and the server must have dropped it before the next run.
    for (n, peer) in peers.iter_mut().enumerate() {
        if peer.conn.is_some() {
            drain(&mut control, peer, n, " (unread)", &mut log).await;
        }
        if let Some(conn) = peer.conn.take() {
            let addr = conn.local_addr().to_string();
            drop(conn);
            assert!(
                control.await_gone(&addr).await,
                "the server still lists a closed connection"
            );
        }
    }
    log
}

/// Logs every frame `peer` has been sent so far (see [`Script::drain`]).
async fn drain(control: &mut Control, peer: &mut Peer, n: usize, tag: &str, log: &mut Vec<String>) {
    let conn = peer.conn.as_mut().expect("an open connection");
    if conn.is_closed() && peer.frames.is_empty() {
        conn.read_available();
        while let Some(frame) = conn.buffered_frame() {
            peer.frames.push_back(frame);
        }
    } else if peer.blocked {
        // A blocked connection cannot answer a barrier: the server saying it
        // is still blocked is the acknowledgement that nothing ended the
        // block; whatever else has arrived is logged.
        let addr = conn.local_addr().to_string();
        if !control.is_blocked(&addr).await {
            log.push(format!("c{n}{tag}: <not blocked>"));
        }
        conn.read_available();
        while let Some(frame) = conn.buffered_frame() {
            peer.frames.push_back(frame);
        }
    } else {
        conn.send(&multibulk(["PING", BARRIER])).await;
        loop {
            match peer.receive().await {
                Ok(()) => {
                    if peer.frames.back().is_some_and(|f| is_barrier_reply(f)) {
                        peer.frames.pop_back();
                        break;
                    }
                }
                Err(why) => {
                    log.push(format!("c{n}{tag}: {why} (waiting for the barrier)"));
                    break;
                }
            }
        }
    }
    while let Some(frame) = peer.take() {
        log.push(format!("c{n}{tag}: {}", escape(&frame)));
    }
}

impl Differ {
    /// Plays every script on both servers in both protocols and panics with
    /// every difference.
    pub async fn check_scripts(&self, scripts: &[Script]) {
        let mut failures = Vec::new();
        let mut frames = 0;
        for script in scripts {
            for resp3 in [false, true] {
                self.flush_real().await;
                let reply = RawConn::open(self.real_port())
                    .await
                    .cmd(["CONFIG", "SET", "notify-keyspace-events", ""])
                    .await;
                assert_eq!(reply, b"+OK\r\n", "CONFIG SET on redis-server");
                let mock = MockRedis::start().await;
                let (expected, actual) = tokio::join!(
                    play(self.real_port(), script, resp3),
                    play(mock.port(), script, resp3)
                );
                mock.shutdown().await;
                frames += expected.len();
                if expected != actual {
                    failures.push(format!(
                        "script {:?} ({}):\n  redis: {expected:#?}\n  mock:  {actual:#?}",
                        script.name,
                        if resp3 { "RESP3" } else { "RESP2" }
                    ));
                }
            }
        }
        eprintln!(
            "multi-connection differential: {} scripts x 2 protocols, {frames} frames compared, {} runs differ",
            scripts.len(),
            failures.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
