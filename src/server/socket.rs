//! One client connection: read, parse, consult the mocks, execute, write
//! replies once per batch; deliver out-of-band frames (pub/sub messages)
//! from the client's outbox; wait for the reply of a blocking command.

use std::sync::{Arc, MutexGuard};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, watch};

use super::Shared;
use crate::engine::Engine;
use crate::engine::pubsub::{self, OutOfBand};
use crate::mock::respond::Action;
use crate::protocol::{Protocol, Reply, RequestParser};

/// Bytes asked of the socket per read, as Redis's `PROTO_IOBUF_LEN`.
const READ_CHUNK: usize = 16 * 1024;

/// Unsent replies past which a client that keeps sending but never reads is
/// disconnected (Redis's `client-output-buffer-limit`), instead of growing
/// memory without bound.
const OUTPUT_HARD_LIMIT: usize = 64 * 1024 * 1024;

/// Unregisters the client however the task ends, aborts included.
struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.engine().disconnect(self.id);
    }
}

/// Per-connection state the loop carries between commands.
struct Conn {
    id: u64,
    protocol: Protocol,
    auth_required: bool,
    db: usize,
    /// Commands received so far, for the close-after-N fault.
    commands: u64,
    /// Frames the engine sends outside the request/reply flow.
    outbox: mpsc::UnboundedReceiver<OutOfBand>,
    /// The last command blocked the client: wait for its reply (until the
    /// deadline, if any) before processing anything else.
    blocked: Option<Option<tokio::time::Instant>>,
}

impl Conn {
    /// Lets the engine answer and keeps the connection state in step.
    fn execute(&mut self, engine: &mut Engine, args: &[Bytes], output: &mut BytesMut) -> bool {
        let outcome = engine.execute(self.id, args);
        self.protocol = outcome.protocol;
        self.auth_required = outcome.auth_required;
        self.db = outcome.db;
        // What the engine sent before the reply was built goes first
        // (messages this very command caused included).
        self.drain_outbox(output);
        for frame in &outcome.extra {
            frame.encode(self.protocol, output);
        }
        match outcome.blocked {
            Some(deadline) => self.blocked = Some(deadline.map(tokio::time::Instant::from_std)),
            None => outcome.reply.encode(self.protocol, output),
        }
        outcome.close
    }

    /// Appends every frame waiting in the outbox.
    fn drain_outbox(&mut self, output: &mut BytesMut) {
        while let Ok(frame) = self.outbox.try_recv() {
            output.extend_from_slice(&frame.bytes);
        }
    }
}

/// How waiting for a blocked command's reply ended.
enum Wait {
    /// The reply is in the output buffer: go on with the next request.
    Done,
    /// The connection is over.
    Gone,
}

/// Waits for the reply of the blocking command the client sent: served by
/// another client's write, or the null reply at the deadline. Requests that
/// arrive meanwhile stay in `input` (Redis buffers them too); pub/sub
/// messages are written as they come.
async fn wait_unblocked<S: AsyncRead + AsyncWrite>(
    conn: &mut Conn,
    shared: &Shared,
    reader: &mut ReadHalf<S>,
    writer: &mut WriteHalf<S>,
    input: &mut BytesMut,
    output: &mut BytesMut,
    closer: &mut watch::Receiver<u64>,
) -> Wait {
    let Some(deadline) = conn.blocked.take() else {
        return Wait::Done;
    };
    if flush(writer, output).await.is_err() {
        return Wait::Gone;
    }
    loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            input.reserve(READ_CHUNK);
        }
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = conn.outbox.recv() => {
                let Some(frame) = frame else { return Wait::Gone };
                output.extend_from_slice(&frame.bytes);
                if frame.unblocks {
                    return Wait::Done;
                }
                if flush(writer, output).await.is_err() {
                    return Wait::Gone;
                }
            }
            () = sleep => {
                let reply = crate::engine::blocking::timed_out(&mut shared.engine(), conn.id);
                // Not blocked any more: the reply is already in the outbox.
                conn.drain_outbox(output);
                if let Some(reply) = reply {
                    reply.encode(conn.protocol, output);
                }
                return Wait::Done;
            }
            read = reader.read_buf(input) => match read {
                Ok(0) | Err(_) => return Wait::Gone,
                Ok(_) => {}
            },
            _ = closer.changed() => return Wait::Gone,
        }
    }
}

/// Serves one connection until the client leaves, sends QUIT, makes a
/// protocol error, a mock or fault closes it, or the server stops.
pub(crate) async fn serve<S>(stream: S, peer: String, local: String, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (outbox_tx, outbox) = mpsc::unbounded_channel();
    let id = {
        let mut engine = shared.engine();
        let id = engine.connect(peer, local);
        pubsub::set_outbox(&mut engine, id, outbox_tx);
        id
    };
    let registration = Registration { shared, id };
    let shared = &registration.shared;
    let mut closer = shared.mocks.closer();
    closer.mark_unchanged();
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut output = BytesMut::with_capacity(READ_CHUNK);
    let mut parser = RequestParser::new();
    let mut conn = Conn {
        id,
        protocol: Protocol::Resp2,
        auth_required: shared.engine().auth_required(id),
        db: 0,
        commands: 0,
        outbox,
        blocked: None,
    };
    loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            input.reserve(READ_CHUNK);
        }
        // Keep reading and executing while replies are unsent, as Redis does,
        // so a client that writes a long pipeline before reading cannot
        // deadlock against us; the output limit bounds the memory instead.
        let backlogged = !output.is_empty();
        let read = tokio::select! {
            biased;
            _ = closer.changed() => return,
            written = writer.write_buf(&mut output), if backlogged => match written {
                Ok(n) if n > 0 => continue,
                _ => return,
            },
            frame = conn.outbox.recv() => {
                let Some(frame) = frame else { return };
                output.extend_from_slice(&frame.bytes);
                conn.drain_outbox(&mut output);
                continue;
            }
            read = reader.read_buf(&mut input) => read,
        };
        match read {
            Ok(0) => {
                let _ = writer.write_all(&output).await;
                return;
            }
            Err(_) => return,
            Ok(_) => {}
        }
        let mut close = false;
        while !close {
            if conn.blocked.is_some() {
                let waited = wait_unblocked(
                    &mut conn,
                    shared,
                    &mut reader,
                    &mut writer,
                    &mut input,
                    &mut output,
                    &mut closer,
                )
                .await;
                if let Wait::Gone = waited {
                    return;
                }
            }
            let args = match serve_fast(shared, &mut conn, &mut parser, &mut input, &mut output) {
                Fast::NeedMore => break,
                Fast::Blocked => continue,
                Fast::Close => {
                    close = true;
                    break;
                }
                Fast::Drop => return,
                Fast::Mock(args) => args,
            };
            let plan = shared.mocks.plan(&args, id, conn.db, conn.commands);
            close = plan.close;
            let Some(response) = plan.response else {
                close |= conn.execute(&mut shared.engine(), &args, &mut output);
                continue;
            };
            if let Some(delay) = response.delay {
                // Earlier replies go out first; replies stay in order.
                if flush(&mut writer, &mut output).await.is_err() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = closer.changed() => return,
                }
            }
            match response.action {
                Action::Reply(reply) => reply.encode(conn.protocol, &mut output),
                Action::Raw(bytes) => output.extend_from_slice(&bytes),
                Action::PassThrough | Action::FallThrough => {
                    close |= conn.execute(&mut shared.engine(), &args, &mut output)
                }
                Action::Close => {
                    let _ = flush(&mut writer, &mut output).await;
                    let _ = writer.shutdown().await;
                    return;
                }
                Action::Hang => {
                    let _ = flush(&mut writer, &mut output).await;
                    hang(&mut reader, &mut closer).await;
                    return;
                }
            }
            close |= response.close_after;
        }
        if close {
            let _ = writer.write_all(&output).await;
            let _ = writer.shutdown().await;
            return;
        }
        if backlogged && output.len() > OUTPUT_HARD_LIMIT {
            tracing::warn!(
                client = id,
                unsent = output.len(),
                "client scheduled to be closed for overcoming of output buffer limits"
            );
            return;
        }
    }
}

/// What [`serve_fast`] stopped at.
enum Fast {
    /// No complete request left in the input.
    NeedMore,
    /// The last command blocked the client (BLPOP and friends).
    Blocked,
    /// Write the replies, then close (QUIT, a protocol error, ...).
    Close,
    /// Close without replying (an HTTP request reached the server).
    Drop,
    /// A request for the mock layer.
    Mock(Vec<Bytes>),
}

/// Serves every complete request in `input` that needs no mock, holding the
/// engine's lock across the whole run (a pipeline costs one lock, not one
/// per command). Synchronous, so the lock can never be held over an await.
fn serve_fast(
    shared: &Shared,
    conn: &mut Conn,
    parser: &mut RequestParser,
    input: &mut BytesMut,
    output: &mut BytesMut,
) -> Fast {
    let mut engine: Option<MutexGuard<'_, Engine>> = None;
    loop {
        let args = match parser.parse(input, conn.auth_required) {
            Ok(Some(args)) => args,
            Ok(None) => return Fast::NeedMore,
            Err(err) => {
                tracing::debug!(client = conn.id, %err, "protocol error, closing the connection");
                Reply::Error(err.reply_text()).encode(conn.protocol, output);
                return Fast::Close;
            }
        };
        if args.is_empty() {
            continue;
        }
        if is_security_warning(&args[0]) {
            tracing::warn!(
                client = conn.id,
                "possible cross-protocol attack: closing the connection"
            );
            return Fast::Drop;
        }
        conn.commands += 1;
        if shared.mocks.is_active() {
            return Fast::Mock(args);
        }
        let engine = engine.get_or_insert_with(|| shared.engine());
        if conn.execute(engine, &args, output) {
            return Fast::Close;
        }
        if conn.blocked.is_some() {
            return Fast::Blocked;
        }
    }
}

/// Writes the pending replies.
async fn flush<S: AsyncWrite>(
    writer: &mut WriteHalf<S>,
    output: &mut BytesMut,
) -> std::io::Result<()> {
    if !output.is_empty() {
        writer.write_all(output).await?;
        output.clear();
    }
    Ok(())
}

/// Answers nothing more: reads and discards until the client closes the
/// connection, the server closes every connection, or the task is aborted.
async fn hang<S: AsyncRead>(reader: &mut ReadHalf<S>, closer: &mut watch::Receiver<u64>) {
    let mut sink = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            read = reader.read(&mut sink) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            _ = closer.changed() => return,
        }
    }
}

/// `POST` and `Host:` as a command name mean an HTTP request reached the
/// server; Redis closes such connections without replying.
fn is_security_warning(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:")
}
