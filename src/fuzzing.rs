//! In-process entry points for the fuzz targets in `fuzz/`, compiled only
//! with the `fuzzing` feature. Not a public API: it may change at any time.
//!
//! [`dispatch`] feeds bytes to a fresh engine exactly as a connection task
//! does (Redis's request parser, then `Engine::execute` for each request,
//! then the reply encoder), without sockets, so a fuzzer can run it hundreds
//! of thousands of times a second.

use bytes::BytesMut;

use crate::engine::{Config, Engine};
use crate::protocol::{Protocol, Reply, RequestParser};

/// Replies kept before the encoder's buffer is dropped, so a long input
/// cannot grow memory the way a real client that never reads cannot either.
const OUTPUT_CAP: usize = 1 << 20;

/// Runs `data` as the byte stream of one or two clients against a fresh
/// engine and returns the number of requests executed.
///
/// The first byte picks the set-up: bit 0 sets `requirepass` to `secret`,
/// bit 1 makes two clients take turns (so `CLIENT LIST`, `CLIENT KILL` and
/// friends see each other). The rest is parsed as requests. Every reply is
/// encoded in the client's protocol and in the other one, since both
/// encoders must accept every reply.
///
/// ```
/// let executed = mock_redis::fuzzing::dispatch(b"\x00PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
/// assert_eq!(executed, 2);
/// ```
pub fn dispatch(data: &[u8]) -> usize {
    let Some((&setup, stream)) = data.split_first() else {
        return 0;
    };
    let config = Config {
        requirepass: (setup & 1 == 1).then(|| bytes::Bytes::from_static(b"secret")),
        ..Config::default()
    };
    let mut engine = Engine::new(config);
    let mut clients = vec![Session::new(&mut engine)];
    if setup & 2 == 2 {
        clients.push(Session::new(&mut engine));
    }
    let mut input = BytesMut::from(stream);
    let mut output = BytesMut::new();
    let mut executed = 0;
    let mut turn = 0;
    loop {
        let count = clients.len();
        let client = &mut clients[turn % count];
        if client.closed {
            break;
        }
        let args = match client.parser.parse(&mut input, client.auth_required) {
            Ok(Some(args)) => args,
            Ok(None) => break,
            Err(err) => {
                Reply::Error(err.reply_text()).encode(client.protocol, &mut output);
                break;
            }
        };
        if args.is_empty() {
            continue;
        }
        let outcome = engine.execute(client.id, &args);
        executed += 1;
        client.protocol = outcome.protocol;
        client.auth_required = outcome.auth_required;
        client.closed = outcome.close;
        outcome.reply.encode(client.protocol, &mut output);
        let other = match client.protocol {
            Protocol::Resp2 => Protocol::Resp3,
            Protocol::Resp3 => Protocol::Resp2,
        };
        outcome.reply.encode(other, &mut output);
        if output.len() > OUTPUT_CAP {
            output.clear();
        }
        turn += 1;
    }
    for client in &clients {
        engine.disconnect(client.id);
    }
    executed
}

/// One simulated connection.
struct Session {
    id: u64,
    parser: RequestParser,
    protocol: Protocol,
    auth_required: bool,
    closed: bool,
}

impl Session {
    fn new(engine: &mut Engine) -> Session {
        let id = engine.connect("127.0.0.1:40000".into(), "127.0.0.1:6379".into());
        Session {
            id,
            parser: RequestParser::new(),
            protocol: Protocol::Resp2,
            auth_required: engine.auth_required(id),
            closed: false,
        }
    }
}
