//! One client connection: read, parse, execute, write replies once per batch.

use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Shared;
use crate::protocol::{Protocol, Reply, RequestParser};

/// Bytes asked of the socket per read, as Redis's `PROTO_IOBUF_LEN`.
const READ_CHUNK: usize = 16 * 1024;

/// Unsent reply bytes at which a client that sends requests but does not
/// read its replies is disconnected, as Redis does when a client passes its
/// `client-output-buffer-limit` hard limit. Redis leaves normal clients
/// unlimited by default; inside a test process an unbounded buffer is worse
/// than a closed connection, so the mock applies this limit to replies that
/// pile up while the socket is not writable (one big reply to a client that
/// is reading never counts).
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

/// Serves one connection until the client leaves, sends QUIT, makes a
/// protocol error, or the server stops.
pub(crate) async fn serve<S>(stream: S, peer: String, local: String, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let id = shared.engine().connect(peer, local);
    let registration = Registration { shared, id };
    let shared = &registration.shared;
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut output = BytesMut::with_capacity(READ_CHUNK);
    let mut parser = RequestParser::new();
    let mut auth_required = shared.engine().auth_required(id);
    let mut protocol = Protocol::Resp2;
    loop {
        if input.capacity() - input.len() < READ_CHUNK / 2 {
            input.reserve(READ_CHUNK);
        }
        // Keep reading and executing while replies are unsent, as Redis does,
        // so a client that writes a long pipeline before reading cannot
        // deadlock against us; the output limit bounds the memory instead.
        let backlogged = !output.is_empty();
        let read = if !backlogged {
            reader.read_buf(&mut input).await
        } else {
            tokio::select! {
                biased;
                written = writer.write_buf(&mut output) => match written {
                    Ok(n) if n > 0 => continue,
                    _ => return,
                },
                read = reader.read_buf(&mut input) => read,
            }
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
            let args = match parser.parse(&mut input, auth_required) {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(err) => {
                    tracing::debug!(client = id, %err, "protocol error, closing the connection");
                    Reply::Error(err.reply_text()).encode(protocol, &mut output);
                    close = true;
                    break;
                }
            };
            if args.is_empty() {
                continue;
            }
            if is_security_warning(&args[0]) {
                tracing::warn!(
                    client = id,
                    "possible cross-protocol attack: closing the connection"
                );
                return;
            }
            let outcome = shared.engine().execute(id, &args);
            protocol = outcome.protocol;
            auth_required = outcome.auth_required;
            close = outcome.close;
            outcome.reply.encode(protocol, &mut output);
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

/// `POST` and `Host:` as a command name mean an HTTP request reached the
/// server; Redis closes such connections without replying.
fn is_security_warning(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:")
}
