//! One client connection: read, parse, execute, write replies once per batch.

use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Shared;
use crate::protocol::{Protocol, Reply, RequestParser};

/// Bytes asked of the socket per read, as Redis's `PROTO_IOBUF_LEN`.
const READ_CHUNK: usize = 16 * 1024;

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
        match reader.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
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
        if !output.is_empty() {
            if writer.write_all(&output).await.is_err() {
                return;
            }
            output.clear();
        }
        if close {
            let _ = writer.shutdown().await;
            return;
        }
    }
}

/// `POST` and `Host:` as a command name mean an HTTP request reached the
/// server; Redis closes such connections without replying.
fn is_security_warning(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:")
}
