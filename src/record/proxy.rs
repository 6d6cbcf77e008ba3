//! The recording proxy: forwards each client connection to its own
//! connection to a real Redis, writes the replies back as they came, and
//! records every request with its reply.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::session::{self, Exchange, Session};
use crate::protocol::request::RequestParser;
use crate::{Protocol, Reply};

/// A recording proxy in front of a real Redis: every command a client
/// sends goes to the upstream server on a connection of its own, the
/// client gets the upstream's reply byte for byte, and each request with
/// its reply is recorded. The recording is a [fixture file](crate::fixture)
/// (written again, whole and atomically, each time a connection closes and
/// when the recorder stops) that [`Builder::replay`](crate::Builder::replay)
/// and `mock-redis --replay` serve back.
///
/// A client that sends `HELLO 3` gets RESP3 from the upstream, and the
/// recording keeps RESP3's types (maps, sets, doubles, pushes).
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use mock_redis::record::Recorder;
///
/// let recorder = Recorder::start("redis://127.0.0.1:6379", "session.toml").await?;
/// let client = redis::Client::open(recorder.url()).unwrap();
/// let mut conn = client.get_multiplexed_async_connection().await.unwrap();
/// let _: () = redis::cmd("SET").arg("k").arg("v").query_async(&mut conn).await.unwrap();
/// drop(conn);
/// recorder.stop().await?; // session.toml now holds the SET and its reply
///
/// let server = mock_redis::MockRedis::builder().replay("session.toml").start().await;
/// # drop(server);
/// # Ok(())
/// # }
/// ```
pub struct Recorder {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

struct Shared {
    path: PathBuf,
    upstream: String,
    upstream_addr: String,
    session: Mutex<Session>,
    /// Serializes writes of the file.
    writing: Mutex<()>,
    next_id: AtomicU64,
}

impl Shared {
    fn flush(&self) -> io::Result<()> {
        let _guard = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let text = self
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .render();
        session::write_atomic(&self.path, &text).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot write the recording {}: {e}", self.path.display()),
            )
        })
    }
}

/// `host:port` of a `redis://host[:port]` URL.
fn upstream_addr(url: &str) -> io::Result<String> {
    let bad = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid upstream URL '{url}': {why} (expected redis://host:port)"),
        )
    };
    let rest = url
        .strip_prefix("redis://")
        .ok_or_else(|| bad("it must start with redis://"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['@', '/', '?']) {
        return Err(bad(
            "credentials, a db or options are not supported: the client sends AUTH and SELECT itself",
        ));
    }
    if rest.is_empty() {
        return Err(bad("no host"));
    }
    let has_port = match rest.rsplit_once(':') {
        // An IPv6 address in brackets without a port: `[::1]`.
        Some((host, port)) if !rest.ends_with(']') => {
            if host.is_empty() {
                return Err(bad("no host"));
            }
            port.parse::<u16>().map_err(|_| bad("invalid port"))?;
            true
        }
        _ => false,
    };
    Ok(if has_port {
        rest.to_string()
    } else {
        format!("{rest}:6379")
    })
}

impl Recorder {
    /// Starts a recorder on `127.0.0.1` (a free port) in front of the Redis
    /// at `upstream` (`redis://host:port`), recording to `path`. Fails,
    /// before anything listens or any file is written, when the URL is
    /// invalid or the upstream cannot be reached; fails when `path`
    /// cannot be written (an empty recording is written at once).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let url = format!("redis://{}", closed.local_addr().unwrap());
    /// drop(closed);
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("session.toml");
    /// let err = mock_redis::record::Recorder::start(&url, &path).await.err().unwrap();
    /// assert!(err.to_string().starts_with(&format!("cannot reach the upstream Redis at {url}")), "{err}");
    /// assert!(!path.exists());
    /// # }
    /// ```
    pub async fn start(upstream: &str, path: impl AsRef<Path>) -> io::Result<Recorder> {
        Recorder::start_at(SocketAddr::from(([127, 0, 0, 1], 0)), upstream, path).await
    }

    /// As [`Recorder::start`], listening on `listen`.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let recorder = mock_redis::record::Recorder::start_at(
    ///     "127.0.0.1:6380".parse().unwrap(),
    ///     "redis://127.0.0.1:6379",
    ///     "session.toml",
    /// )
    /// .await?;
    /// assert_eq!(recorder.addr().port(), 6380);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_at(
        listen: SocketAddr,
        upstream: &str,
        path: impl AsRef<Path>,
    ) -> io::Result<Recorder> {
        let upstream_addr = upstream_addr(upstream)?;
        drop(connect(upstream, &upstream_addr).await?);
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            path: path.as_ref().to_path_buf(),
            upstream: upstream.to_string(),
            upstream_addr,
            session: Mutex::new(Session::new(upstream.to_string())),
            writing: Mutex::new(()),
            next_id: AtomicU64::new(1),
        });
        shared.flush()?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept(listener, shared.clone(), stopped));
        Ok(Recorder {
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }

    /// The address clients connect to.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let recorder = mock_redis::record::Recorder::start("redis://127.0.0.1:6379", "s.toml").await?;
    /// assert!(recorder.addr().ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `redis://127.0.0.1:<port>`, for clients.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let recorder = mock_redis::record::Recorder::start("redis://127.0.0.1:6379", "s.toml").await?;
    /// let client = redis::Client::open(recorder.url()).unwrap();
    /// # drop(client);
    /// # Ok(())
    /// # }
    /// ```
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Writes the recording now, with the connections still open.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let recorder = mock_redis::record::Recorder::start("redis://127.0.0.1:6379", "s.toml").await?;
    /// recorder.save()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn save(&self) -> io::Result<()> {
        self.shared.flush()
    }

    /// Stops listening, closes every connection (their recordings kept)
    /// and writes the recording.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let recorder = mock_redis::record::Recorder::start("redis://127.0.0.1:6379", "s.toml").await?;
    /// recorder.stop().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn stop(mut self) -> io::Result<()> {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared.flush()
    }
}

impl Drop for Recorder {
    /// Closes everything and writes the recording (errors are logged).
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            let _ = self.stop.send(true);
            task.abort();
            if let Err(e) = self.shared.flush() {
                tracing::error!("{e}");
            }
        }
    }
}

async fn connect(url: &str, addr: &str) -> io::Result<TcpStream> {
    TcpStream::connect(addr).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot reach the upstream Redis at {url}: {e}"),
        )
    })
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let for_connections = stopped.clone();
    loop {
        tokio::select! {
            _ = stopped.wait_for(|s| *s) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                    connections.spawn(serve(client, id, shared.clone(), for_connections.clone()));
                }
                Err(e) => tracing::warn!("accept failed: {e}"),
            },
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// One client connection: its own upstream connection, relayed until
/// either side closes or the recorder stops; the file is written after.
async fn serve(
    mut client: TcpStream,
    id: u64,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let upstream = match connect(&shared.upstream, &shared.upstream_addr).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!("connection {id}: {e}");
            let text = format!("-ERR mock-redis proxy: {e}\r\n").replace(['\r', '\n'], " ");
            let _ = client
                .write_all(format!("{}\r\n", text.trim_end()).as_bytes())
                .await;
            return;
        }
    };
    shared
        .session
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .open(id);
    let mut relay = Relay {
        id,
        shared: &shared,
        pending: VecDeque::new(),
        protocol: Protocol::Resp2,
        db: 0,
        in_multi: false,
        subscriptions: Default::default(),
    };
    tokio::select! {
        _ = stopped.wait_for(|s| *s) => {}
        r = relay.run(client, upstream) => {
            if let Err(e) = r {
                tracing::debug!("connection {id}: {e}");
            }
        }
    }
    if let Err(e) = shared.flush() {
        tracing::error!("{e}");
    }
}

/// A request sent upstream, waiting for its reply frames.
struct Pending {
    args: Vec<Bytes>,
    db: usize,
    frames: usize,
    replies: Vec<Reply>,
    raw: BytesMut,
}

struct Relay<'a> {
    id: u64,
    shared: &'a Shared,
    pending: VecDeque<Pending>,
    protocol: Protocol,
    db: usize,
    in_multi: bool,
    /// Channels, patterns and shard channels subscribed, from the
    /// confirmations: an `UNSUBSCRIBE` without arguments gets one reply
    /// for each.
    subscriptions: [HashSet<Bytes>; 3],
}

const SUBSCRIBE: [&str; 3] = ["subscribe", "psubscribe", "ssubscribe"];
const UNSUBSCRIBE: [&str; 3] = ["unsubscribe", "punsubscribe", "sunsubscribe"];

fn kind_of(name: &[u8], names: &[&str; 3]) -> Option<usize> {
    names
        .iter()
        .position(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

impl Relay<'_> {
    async fn run(&mut self, client: TcpStream, upstream: TcpStream) -> io::Result<()> {
        let (mut client_read, mut client_write) = client.into_split();
        let (mut up_read, mut up_write) = upstream.into_split();
        let mut parser = RequestParser::new();
        let mut requests = BytesMut::with_capacity(16 * 1024);
        let mut replies = BytesMut::with_capacity(16 * 1024);
        // A protocol error from the client: sent, as Redis does, after the
        // replies to the requests before it; then the connection closes.
        let mut closing: Option<Vec<u8>> = None;
        loop {
            if let Some(error) = &closing {
                if self.pending.is_empty() {
                    client_write.write_all(error).await?;
                    return Ok(());
                }
            }
            tokio::select! {
                n = client_read.read_buf(&mut requests), if closing.is_none() => {
                    if n? == 0 {
                        return Ok(());
                    }
                    let mut out = BytesMut::new();
                    loop {
                        match parser.parse(&mut requests, false) {
                            Ok(Some(args)) if args.is_empty() => {}
                            Ok(Some(args)) => {
                                encode_request(&args, &mut out);
                                self.sent(args);
                            }
                            Ok(None) => break,
                            Err(e) => {
                                let mut text = b"-".to_vec();
                                text.extend_from_slice(&e.reply_text());
                                text.extend_from_slice(b"\r\n");
                                closing = Some(text);
                                break;
                            }
                        }
                    }
                    up_write.write_all(&out).await?;
                }
                n = up_read.read_buf(&mut replies) => {
                    if n? == 0 {
                        return Ok(());
                    }
                    let mut forward = BytesMut::new();
                    while let Some((reply, taken)) = session::decode(&replies, self.decoding())
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("an upstream reply: {e}")))?
                    {
                        let raw = replies.split_to(taken);
                        forward.extend_from_slice(&raw);
                        self.received(reply, &raw);
                    }
                    client_write.write_all(&forward).await?;
                }
            }
        }
    }

    /// The protocol of the next reply: a `HELLO 2` or `HELLO 3` is answered
    /// in the protocol it asks for.
    fn decoding(&self) -> Protocol {
        match self.pending.front() {
            Some(p) if p.args[0].eq_ignore_ascii_case(b"HELLO") => {
                match p.args.get(1).map(|v| v.as_ref()) {
                    Some(b"3") => Protocol::Resp3,
                    Some(b"2") => Protocol::Resp2,
                    _ => self.protocol,
                }
            }
            _ => self.protocol,
        }
    }

    fn sent(&mut self, args: Vec<Bytes>) {
        let frames = if self.in_multi {
            1
        } else if kind_of(&args[0], &SUBSCRIBE).is_some() {
            (args.len() - 1).max(1)
        } else if let Some(kind) = kind_of(&args[0], &UNSUBSCRIBE) {
            match args.len() - 1 {
                0 => self.subscriptions[kind].len().max(1),
                n => n,
            }
        } else {
            1
        };
        self.pending.push_back(Pending {
            args,
            db: self.db,
            frames,
            replies: Vec::new(),
            raw: BytesMut::new(),
        });
    }

    /// Out-of-band frames: messages and invalidations, which answer no request.
    fn out_of_band(&self, reply: &Reply) -> bool {
        let first = |items: &[Reply]| match items.first() {
            Some(Reply::Bulk(b)) => Some(b.clone()),
            _ => None,
        };
        let is_one_of = |name: Option<Bytes>, names: &[&str]| {
            name.is_some_and(|n| names.iter().any(|m| n.eq_ignore_ascii_case(m.as_bytes())))
        };
        let subscribed = self.subscriptions.iter().any(|s| !s.is_empty());
        match reply {
            Reply::Push(items) => is_one_of(
                first(items),
                &["message", "pmessage", "smessage", "invalidate"],
            ),
            Reply::Array(items) if subscribed && self.protocol == Protocol::Resp2 => {
                is_one_of(first(items), &["message", "pmessage", "smessage"])
            }
            _ => self.pending.is_empty(),
        }
    }

    fn received(&mut self, reply: Reply, raw: &[u8]) {
        if self.out_of_band(&reply) {
            return;
        }
        if self.pending.is_empty() {
            return;
        }
        self.track_subscriptions(&reply);
        let error = reply.is_error();
        let p = self.pending.front_mut().expect("a request is pending");
        p.raw.extend_from_slice(raw);
        p.replies.push(reply);
        if p.replies.len() < p.frames && !error {
            return;
        }
        let p = self.pending.pop_front().expect("a request is pending");
        self.follow(&p);
        let exchange = Exchange {
            db: p.db,
            args: p.args,
            replies: p.replies,
            raw: p.raw.freeze(),
            // After `follow`: a `HELLO`'s own reply is in the protocol it set.
            protocol: self.protocol,
        };
        self.shared
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(self.id, exchange);
    }

    fn track_subscriptions(&mut self, reply: &Reply) {
        let (Reply::Push(items) | Reply::Array(items)) = reply else {
            return;
        };
        let (Some(Reply::Bulk(kind)), Some(Reply::Bulk(name))) = (items.first(), items.get(1))
        else {
            return;
        };
        if let Some(k) = kind_of(kind, &SUBSCRIBE) {
            self.subscriptions[k].insert(name.clone());
        } else if let Some(k) = kind_of(kind, &UNSUBSCRIBE) {
            self.subscriptions[k].remove(name);
        }
    }

    /// Follows what a request changed on the upstream connection.
    fn follow(&mut self, p: &Pending) {
        let ok = !p.replies.iter().any(Reply::is_error);
        let name = &p.args[0];
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if !ok {
            if is("EXEC") || is("DISCARD") {
                self.in_multi = false;
            }
            return;
        }
        if is("HELLO") {
            match p.args.get(1).map(|v| v.as_ref()) {
                Some(b"3") => self.protocol = Protocol::Resp3,
                Some(b"2") => self.protocol = Protocol::Resp2,
                _ => {}
            }
        } else if is("SELECT") && !self.in_multi {
            if let Some(db) = p
                .args
                .get(1)
                .and_then(|d| std::str::from_utf8(d).ok()?.parse().ok())
            {
                self.db = db;
            }
        } else if is("MULTI") {
            self.in_multi = true;
        } else if is("EXEC") || is("DISCARD") {
            self.in_multi = false;
        } else if is("RESET") {
            self.protocol = Protocol::Resp2;
            self.db = 0;
            self.in_multi = false;
            self.subscriptions = Default::default();
        }
    }
}

fn encode_request(args: &[Bytes], out: &mut BytesMut) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        assert_eq!(
            upstream_addr("redis://127.0.0.1:6380").unwrap(),
            "127.0.0.1:6380"
        );
        assert_eq!(
            upstream_addr("redis://localhost/").unwrap(),
            "localhost:6379"
        );
        assert_eq!(upstream_addr("redis://[::1]").unwrap(), "[::1]:6379");
        assert_eq!(upstream_addr("redis://[::1]:7000").unwrap(), "[::1]:7000");
        for bad in [
            "http://x:1",
            "redis://",
            "redis://:6379",
            "redis://h:port",
            "redis://:pw@h:1",
            "redis://h:1/2",
        ] {
            let e = upstream_addr(bad).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("invalid upstream URL '{bad}'")),
                "{e}"
            );
        }
    }
}
