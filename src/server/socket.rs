//! One client connection's I/O around its [`Session`]: read into the
//! session's input, run the session under the engine lock (once per read,
//! however many requests it holds), write its output, and do what the
//! session's [`Action`] asks: sleep for a mock's delay, hang, close, or wait
//! for a blocked command's reply (the outbox, the deadline). Out-of-band
//! frames (pub/sub messages) are delivered as they come; every connection
//! ends when the server closes them all.
//!
//! A new connection is first admitted by the engine (`maxclients`,
//! protected mode: a refused one gets Redis's error line and is closed).
//! Every wait, writes included, also watches the outbox, so a close frame
//! (output buffer limit, idle timeout) drops the connection at once even
//! when the client reads nothing; after each read the session checks the
//! query buffer limit (blocked clients included).

use std::net::IpAddr;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::watch;

#[cfg(feature = "scripting")]
mod busy;
mod gate;

use super::Shared;
use super::heartbeat::Pulse;
use crate::engine::client::is_local;
use crate::engine::delivery::OutOfBand;
use crate::session::{Action, Session};

/// Bytes asked of the socket per read at most, as Redis's `PROTO_IOBUF_LEN`.
const READ_CHUNK: usize = 16 * 1024;

/// Bytes asked per read while requests are small: what an idle connection
/// keeps allocated (a read that fills it doubles the next one, up to
/// [`READ_CHUNK`]), so thousands of idle clients cost what Redis's do
/// (`docs/BENCHMARKS.md`).
const READ_MIN: usize = 1024;

/// An output buffer larger than this is released once everything in it
/// is written (a big reply's buffer does not stay with an idle client);
/// up to it, as much as Redis's static reply buffer
/// (`PROTO_REPLY_CHUNK_BYTES`), a busy client keeps its buffer.
const OUTPUT_KEEP: usize = 16 * 1024;

/// One write of as much of `output` as the socket takes, then drops what
/// was written. A plain `write`, as Redis's: `write_buf` would go through
/// `writev` with a single buffer, which costs the kernel more per call
/// (`docs/BENCHMARKS.md`). Cancel-safe: the bytes are dropped in the poll
/// that wrote them.
async fn write_some<W: AsyncWrite + Unpin>(
    writer: &mut W,
    output: &mut BytesMut,
) -> std::io::Result<usize> {
    let n = writer.write(&output[..]).await?;
    bytes::Buf::advance(output, n);
    Ok(n)
}

/// How much the next read asks for: [`READ_MIN`] after small reads,
/// doubling while reads fill what they were given.
#[derive(Clone, Copy, Debug)]
struct ReadSize {
    hint: usize,
    /// The room the pending read was given.
    room: usize,
}

impl ReadSize {
    fn new() -> ReadSize {
        ReadSize {
            hint: READ_MIN,
            room: 0,
        }
    }

    /// Makes room in `input` for the next read; between requests, lets go
    /// of a buffer grown for a burst that is over.
    fn prepare(&mut self, input: &mut BytesMut) {
        if input.is_empty() && input.capacity() > 2 * self.hint {
            *input = BytesMut::new();
        }
        if input.capacity() - input.len() < self.hint / 2 {
            input.reserve(self.hint);
        }
        self.room = input.capacity() - input.len();
    }

    /// Adapts to a read of `n` bytes.
    fn read(&mut self, n: usize) {
        if n >= self.room {
            self.hint = (self.hint * 2).min(READ_CHUNK);
        } else if n < self.hint / 4 {
            self.hint = (self.hint / 2).max(READ_MIN);
        }
    }
}

/// Releases an output buffer grown for a big reply once it is all written.
fn shrink_output(output: &mut BytesMut) {
    if output.is_empty() && output.capacity() > OUTPUT_KEEP {
        *output = BytesMut::new();
    }
}

/// Unregisters the client however the task ends, aborts included.
struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Never wait here for a busy script's lock: the next holder of the
        // lock unregisters the client.
        #[cfg(feature = "scripting")]
        match self.shared.try_engine() {
            Some(mut engine) => engine.disconnect(self.id),
            None => self.shared.busy.defer_disconnect(self.id),
        }
        #[cfg(not(feature = "scripting"))]
        self.shared.engine().disconnect(self.id);
    }
}

/// The longest a connection waits for the frames its commands sent to
/// other connections to be written before writing its own replies.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_millis(50);

/// The connection is over: the client left, a write failed, or the server
/// closes every connection.
struct Gone;

/// What woke a connection waiting for a blocked command's reply.
enum Wake {
    Frame(Option<OutOfBand>),
    Deadline,
    Read(std::io::Result<usize>),
    Closer,
}

/// A connection task: the session and the I/O around it.
struct Socket<'a, S> {
    shared: &'a Shared,
    session: Session,
    reader: ReadHalf<S>,
    writer: WriteHalf<S>,
    /// Changes when the server closes every connection.
    closer: watch::Receiver<u64>,
    /// Tells the watchdog the task runs (connections of a server on the
    /// caller's runtime).
    pulse: Option<Pulse>,
    read_size: ReadSize,
}

/// Serves one connection until the client leaves, sends QUIT, makes a
/// protocol error, a mock or fault closes it, or the server stops.
/// `peer_ip` is `None` for a Unix socket.
pub(crate) async fn serve<S>(
    mut stream: S,
    peer_ip: Option<IpAddr>,
    peer: String,
    local: String,
    shared: Arc<Shared>,
    pulse: Option<Pulse>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Admitted and registered under one lock, so that connections arriving
    // together cannot pass maxclients; the guard ends with the block.
    let admit = |engine: &mut crate::engine::Engine| {
        engine
            .admit(is_local(peer_ip))
            .map(|()| Session::new(engine, peer.clone(), local))
    };
    // A script busy meanwhile: requests answered before registering.
    #[cfg(feature = "scripting")]
    let Some((early, admitted)) = busy::admit_when_idle(&mut stream, &shared, admit).await else {
        return;
    };
    #[cfg(not(feature = "scripting"))]
    let admitted = admit(&mut shared.engine());
    let session = match admitted {
        Ok(session) => session,
        Err(refusal) => {
            tracing::debug!(%peer, refusal = refusal.trim_end(), "connection refused");
            // Best effort, as Redis: the client may be gone already.
            let _ = stream.write_all(refusal.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
    };
    let registration = Registration {
        id: session.id(),
        shared,
    };
    let mut closer = registration.shared.mocks.closer();
    closer.mark_unchanged();
    let (reader, writer) = tokio::io::split(stream);
    let mut socket = Socket {
        shared: &registration.shared,
        session,
        reader,
        writer,
        closer,
        pulse,
        read_size: ReadSize::new(),
    };
    #[cfg(feature = "scripting")]
    if !early.is_empty() {
        socket.session.io().input.extend_from_slice(&early);
        match socket.run().await {
            Ok(Action::NeedInput) => {}
            Ok(action) => {
                if socket.act(action).await.is_err() {
                    return;
                }
            }
            Err(Gone) => return,
        }
    }
    socket.serve().await;
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Socket<'a, S> {
    fn beat(&self) {
        if let Some(pulse) = &self.pulse {
            pulse.beat();
        }
    }

    async fn serve(&mut self) {
        // One wait on the closer for the connection's life (a new
        // `changed()` per turn would join and leave the channel's waiter
        // list at every request), polled only once woken (see `gate`).
        let mut closer = self.closer.clone();
        let mut closed = gate::Gated::new(async move {
            let _ = closer.changed().await;
        });
        loop {
            self.beat();
            let io = self.session.io();
            self.read_size.prepare(io.input);
            shrink_output(io.output);
            // Keep reading and executing while replies are unsent, as Redis
            // does, so a client that writes a long pipeline before reading
            // cannot deadlock against us; the output limit bounds the memory.
            let backlogged = !io.output.is_empty();
            let read = tokio::select! {
                biased;
                () = &mut closed => return,
                written = write_some(&mut self.writer, io.output), if backlogged => match written {
                    Ok(n) if n > 0 => {
                        self.session.wrote(n);
                        self.session.ack_frames();
                        continue;
                    }
                    _ => return,
                },
                frame = io.outbox.recv() => {
                    if self.on_frame(frame).await.is_err() {
                        return;
                    }
                    continue;
                }
                read = self.reader.read_buf(io.input) => read,
            };
            match read {
                Ok(0) => {
                    let _ = self.flush().await;
                    return;
                }
                Err(_) => return,
                Ok(n) => self.read_size.read(n),
            }
            let Ok(action) = self.run().await else {
                return;
            };
            if self.settle().await.is_err() {
                return;
            }
            if action != Action::NeedInput && self.act(action).await.is_err() {
                return;
            }
        }
    }

    /// Does what the session asks, running it again after each delay or
    /// wait, until it needs more input.
    async fn act(&mut self, mut action: Action) -> Result<(), Gone> {
        loop {
            match action {
                Action::NeedInput => return Ok(()),
                Action::Close => {
                    let _ = self.flush().await;
                    let _ = self.writer.shutdown().await;
                    return Err(Gone);
                }
                Action::Drop => return Err(Gone),
                Action::Delay(delay) => {
                    // Earlier replies go out first; replies stay in order.
                    self.flush().await?;
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = self.closer.changed() => return Err(Gone),
                    }
                }
                Action::Hang => {
                    let _ = self.flush().await;
                    self.hang().await;
                    return Err(Gone);
                }
                Action::Blocked(deadline) => self.wait_unblocked(deadline).await?,
                Action::Deferred => {
                    // MIGRATE's network part, without the engine lock: the
                    // target may be served by this very runtime.
                    self.flush().await?;
                    if let Some(job) = self.session.take_deferred() {
                        let result = tokio::select! {
                            result = job.run() => result,
                            _ = self.closer.changed() => return Err(Gone),
                        };
                        self.session.deferred_done(result);
                    }
                }
            }
            action = self.run().await?;
            self.settle().await?;
        }
    }

    /// A frame from the outbox: appended to the output, which is written
    /// at once as far as the socket takes it, then acknowledged to the
    /// connection whose command sent it.
    async fn on_frame(&mut self, frame: Option<OutOfBand>) -> Result<(), Gone> {
        let Some(frame) = frame else { return Err(Gone) };
        self.session.deliver(frame);
        if self.session.is_closing() {
            return Err(Gone);
        }
        self.write_and_ack().await
    }

    /// One write attempt of the pending output that never waits for the
    /// socket (a client that does not read delays nobody).
    async fn write_now(&mut self) -> Result<(), Gone> {
        // A close frame, or the server closing every connection: nothing
        // more is written.
        if self.session.is_closing() || self.closer.has_changed().unwrap_or(true) {
            return Err(Gone);
        }
        let io = self.session.io();
        if io.output.is_empty() {
            return Ok(());
        }
        let written = {
            let mut write = std::pin::pin!(write_some(&mut self.writer, io.output));
            std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await
        };
        match written {
            std::task::Poll::Ready(Ok(n)) if n > 0 => {
                self.session.wrote(n);
                Ok(())
            }
            std::task::Poll::Ready(_) => Err(Gone),
            std::task::Poll::Pending => Ok(()),
        }
    }

    /// After a run: waits until the frames its commands sent to other
    /// connections were written there (see
    /// [`AwaitedFrames`](crate::engine::delivery::AwaitedFrames)), so that
    /// this connection's replies do not overtake them, then tries to write
    /// its own output and acknowledges the frames it holds. A connection
    /// that does not take its frames within [`SETTLE_LIMIT`] (its reply
    /// held by a mocked delay, say) is not waited for longer.
    async fn settle(&mut self) -> Result<(), Gone> {
        let awaited = self.session.take_awaited();
        if !awaited.is_empty() {
            let limit = tokio::time::sleep(SETTLE_LIMIT);
            let mut limit = std::pin::pin!(limit);
            for (backlog, seq) in awaited {
                loop {
                    let signal = backlog.taken_signal().notified();
                    let mut signal = std::pin::pin!(signal);
                    signal.as_mut().enable();
                    if backlog.is_taken(seq) {
                        break;
                    }
                    let io = self.session.io();
                    tokio::select! {
                        biased;
                        _ = self.closer.changed() => return Err(Gone),
                        () = &mut limit => return self.write_and_ack().await,
                        () = signal => {}
                        // Frames for this connection meanwhile (two
                        // connections publishing to each other wait on
                        // each other's acknowledgement).
                        frame = io.outbox.recv() => self.on_frame(frame).await?,
                    }
                }
            }
        }
        self.write_and_ack().await
    }

    /// [`write_now`](Socket::write_now), then acknowledges the frames the
    /// output held.
    async fn write_and_ack(&mut self) -> Result<(), Gone> {
        if !self.session.io().output.is_empty() {
            // As Redis writes every reply of an event-loop turn after
            // reading and running every ready client's commands: the other
            // connections the runtime has ready run first (`yield_now`
            // defers this task until the runtime has polled the rest and
            // its I/O driver), so the replies go out in one burst and a
            // client that reads many connections (redis-benchmark, a pool)
            // is woken once per burst instead of once per connection.
            tokio::task::yield_now().await;
        }
        self.write_now().await?;
        self.session.ack_frames();
        Ok(())
    }

    /// Runs the session under the engine lock (the lock ends with the
    /// statement).
    #[cfg(not(feature = "scripting"))]
    async fn run(&mut self) -> Result<Action, Gone> {
        Ok(self
            .session
            .run(&mut self.shared.engine(), &self.shared.mocks))
    }

    /// Takes the engine lock outside a run.
    #[cfg(not(feature = "scripting"))]
    async fn engine(&mut self) -> Result<std::sync::MutexGuard<'a, crate::engine::Engine>, Gone> {
        Ok(self.shared.engine())
    }

    /// Waits for the reply of the blocking command the client sent: served
    /// by another client's write, or the timeout reply once the engine
    /// clock is past the deadline (engine-clock ms). The wall-clock sleep is
    /// computed from the engine clock at each turn: none while it is
    /// frozen; a clock moved forward times the command out from
    /// `fast_forward` or the active-expiry cycle, whose reply comes on the
    /// outbox. Requests that arrive meanwhile stay in the input (Redis
    /// buffers them too); pub/sub messages are written as they come.
    async fn wait_unblocked(&mut self, deadline: Option<i64>) -> Result<(), Gone> {
        self.flush().await?;
        while self.session.is_blocked() {
            self.beat();
            // The guard is a temporary: the lock ends with the statement.
            let wait = match deadline {
                Some(d) => self.engine().await?.clock.wall_time_until_past(d),
                None => None,
            };
            let io = self.session.io();
            self.read_size.prepare(io.input);
            let sleep = async {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            let wake = tokio::select! {
                frame = io.outbox.recv() => Wake::Frame(frame),
                () = sleep => Wake::Deadline,
                read = self.reader.read_buf(io.input) => Wake::Read(read),
                _ = self.closer.changed() => Wake::Closer,
            };
            match wake {
                Wake::Frame(frame @ Some(_)) => self.on_frame(frame).await?,
                Wake::Deadline => {
                    let mut engine = self.engine().await?;
                    self.session.time_out_if_due(&mut engine);
                }
                // What a blocked client sends waits in the input, up to
                // the query buffer limit.
                Wake::Read(Ok(n)) if n > 0 => {
                    self.read_size.read(n);
                    let engine = self.engine().await?;
                    if self.session.query_buffer_exceeded(&engine) {
                        return Err(Gone);
                    }
                }
                Wake::Frame(None) | Wake::Read(_) | Wake::Closer => return Err(Gone),
            }
            if self.session.is_blocked() {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// Writes the pending replies, delivering out-of-band frames meanwhile
    /// (they are written too): a close frame ends the connection even
    /// while the client reads nothing.
    async fn flush(&mut self) -> Result<(), Gone> {
        loop {
            let io = self.session.io();
            if io.output.is_empty() {
                return Ok(());
            }
            tokio::select! {
                biased;
                _ = self.closer.changed() => return Err(Gone),
                frame = io.outbox.recv() => self.on_frame(frame).await?,
                written = write_some(&mut self.writer, io.output) => match written {
                    Ok(n) if n > 0 => {
                        self.session.wrote(n);
                        self.session.ack_frames();
                    }
                    _ => return Err(Gone),
                },
            }
        }
    }

    /// Answers nothing more: reads and discards until the client closes the
    /// connection, the server closes every connection, or the task is aborted.
    async fn hang(&mut self) {
        let mut sink = vec![0u8; READ_CHUNK];
        loop {
            tokio::select! {
                read = self.reader.read(&mut sink) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                _ = self.closer.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_grow_while_they_fill_and_idle_buffers_stay_small() {
        let mut size = ReadSize::new();
        let mut input = BytesMut::new();
        size.prepare(&mut input);
        assert!(input.capacity() >= READ_MIN && input.capacity() < 2 * READ_MIN);
        // A pipeline fills every read: the reads double up to READ_CHUNK.
        for _ in 0..10 {
            size.prepare(&mut input);
            let room = input.capacity() - input.len();
            input.extend_from_slice(&vec![b'x'; room]);
            size.read(room);
            input.clear();
        }
        assert_eq!(size.hint, READ_CHUNK);
        // Small requests again: the hint decays and the emptied buffer
        // grown for the burst is let go.
        for _ in 0..10 {
            size.prepare(&mut input);
            input.extend_from_slice(b"PING\r\n");
            size.read(6);
            input.clear();
        }
        assert_eq!(size.hint, READ_MIN);
        size.prepare(&mut input);
        assert!(input.capacity() < 2 * READ_MIN);

        let mut output = BytesMut::with_capacity(4 * OUTPUT_KEEP);
        output.extend_from_slice(b"+OK\r\n");
        shrink_output(&mut output);
        assert!(output.capacity() >= 4 * OUTPUT_KEEP, "not while unsent");
        output.clear();
        shrink_output(&mut output);
        assert_eq!(output.capacity(), 0);
    }
}
